package io.gitstratum.coordinator.facade.detect;

import java.time.Duration;
import picocli.CommandLine.Option;

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
 * @param sessionTtl lease of each replica's session: how fast another replica takes over the
 *     detector when this one dies (whole seconds)
 */
public record DetectorSettings(Duration scanInterval, double massExpiryShare,
    int massExpiryMinSuspects, int downPerSecond, int flapSuspicions, Duration flapWindow,
    int eventRetention, Duration sessionTtl) {
  public DetectorSettings {
    if (massExpiryShare <= 0 || massExpiryShare > 1) {
      throw new IllegalArgumentException("--mass-expiry-share must be in (0, 1]");
    }
    if (downPerSecond < 1 || eventRetention < 1 || flapSuspicions < 1) {
      throw new IllegalArgumentException("--down-rate and --event-retention must be >= 1");
    }
    if (sessionTtl.getNano() != 0 || sessionTtl.compareTo(Duration.ofSeconds(2)) < 0) {
      throw new IllegalArgumentException("--session-ttl must be whole seconds, at least 2s");
    }
  }

  public DetectorSettings withSessionTtl(Duration ttl) {
    return new DetectorSettings(scanInterval, massExpiryShare, massExpiryMinSuspects,
        downPerSecond, flapSuspicions, flapWindow, eventRetention, ttl);
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--session-ttl", defaultValue = "10s",
        description = "replica session lease; detector failover takes about this long "
            + "(default ${DEFAULT-VALUE})")
    Duration sessionTtl;

    @Option(names = "--mass-expiry-share", defaultValue = "0.55",
        description = "SUSPECT->DOWN pauses while more than this share of live nodes is SUSPECT "
            + "(default ${DEFAULT-VALUE})")
    double massExpiryShare;

    @Option(names = "--down-rate", defaultValue = "20",
        description = "most SUSPECT->DOWN transitions per second (default ${DEFAULT-VALUE})")
    int downRate;

    @Option(names = "--event-retention", defaultValue = "10000",
        description = "change events kept in etcd for resuming watchers "
            + "(default ${DEFAULT-VALUE})")
    int eventRetention;

    public DetectorSettings toSettings() {
      // Not flags: a quarter-second scan, three suspects before mass expiry counts, and three
      // suspicions in ten minutes for "flapping" suit every cluster size tried so far.
      return new DetectorSettings(Duration.ofMillis(250), massExpiryShare, 3, downRate, 3,
          Duration.ofMinutes(10), eventRetention, sessionTtl);
    }
  }
}
