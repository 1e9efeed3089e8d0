package io.gitstratum.coordinator.facade.detect;

import java.time.Duration;

/**
 * How the failure detector behaves.
 *
 * @param scanInterval how often the leader compares nodes with their liveness keys (it also scans
 *     at once when a liveness key disappears)
 * @param massExpiryShare SUSPECT→DOWN pauses while more than this share of live nodes is SUSPECT
 * @param massExpiryMinSuspects ... and at least this many are (so a small cluster still detects)
 * @param downPerSecond most SUSPECT→DOWN transitions per second
 * @param flapSuspicions suspicions within {@code flapWindow} that make a node "flapping"
 * @param flapWindow the window of those suspicions
 * @param eventRetention change events kept in etcd's log (older ones are trimmed)
 */
public record DetectorSettings(Duration scanInterval, double massExpiryShare,
    int massExpiryMinSuspects, int downPerSecond, int flapSuspicions, Duration flapWindow,
    int eventRetention) {
  public DetectorSettings {
    if (massExpiryShare <= 0 || massExpiryShare > 1) {
      throw new IllegalArgumentException("--mass-expiry-share must be in (0, 1]");
    }
    if (downPerSecond < 1 || eventRetention < 1 || flapSuspicions < 1) {
      throw new IllegalArgumentException("--down-rate and --event-retention must be >= 1");
    }
  }

  public static DetectorSettings defaults() {
    return new DetectorSettings(Duration.ofMillis(250), 0.55, 3, 20, 3, Duration.ofMinutes(10),
        10_000);
  }
}
