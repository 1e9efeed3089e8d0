package io.gitstratum.coordinator.facade.detect;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How the failure detector behaves.
 *
 * @param scanInterval how often the leader compares nodes with their liveness keys (it also scans
 *     at once when a liveness key disappears)
 * @param massExpiryShare a zone is disrupted while more than this share of its live nodes is
 *     SUSPECT (ZoneProtection)
 * @param massExpiryMinSuspects ... and at least this many are (so a small zone still detects)
 * @param downPerSecond most SUSPECT→DOWN transitions per second
 * @param flapSuspicions suspicions within {@code flapWindow} that make a node "flapping"
 * @param flapWindow the window of those suspicions
 * @param eventRetention change events kept in etcd's log at most (older ones are trimmed)
 * @param historyRetention changes (events and their history records) and detector events older
 *     than this are trimmed; younger ones only when {@code eventRetention} is exceeded
 * @param sessionTtl lease of each replica's session: how fast another replica takes over the
 *     detector when this one dies (whole seconds)
 * @param zoneLabel the node label that names its zone
 * @param pauseLimit while every zone is disrupted, SUSPECT→DOWN pauses at most this many down
 *     timeouts
 * @param protectedDownInterval in a disrupted zone (and after the pause), one SUSPECT→DOWN per
 *     this many down timeouts
 */
public record DetectorSettings(Duration scanInterval, double massExpiryShare,
    int massExpiryMinSuspects, int downPerSecond, int flapSuspicions, Duration flapWindow,
    int eventRetention, Duration historyRetention, Duration sessionTtl, String zoneLabel,
    double pauseLimit, double protectedDownInterval) {
  public DetectorSettings {
    if (massExpiryShare <= 0 || massExpiryShare > 1) {
      throw new IllegalArgumentException("--mass-expiry-share must be in (0, 1]");
    }
    if (downPerSecond < 1 || eventRetention < 1 || flapSuspicions < 1) {
      throw new IllegalArgumentException("--down-rate and --event-retention must be >= 1");
    }
    if (historyRetention.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new IllegalArgumentException("--history-retention must be at least 1m");
    }
    if (sessionTtl.getNano() != 0 || sessionTtl.compareTo(Duration.ofSeconds(2)) < 0) {
      throw new IllegalArgumentException("--session-ttl must be whole seconds, at least 2s");
    }
    if (zoneLabel.isBlank()) {
      throw new IllegalArgumentException("--zone-label must not be empty");
    }
    if (!(pauseLimit >= 0) || !(protectedDownInterval > 0)) {
      throw new IllegalArgumentException(
          "--protection-pause-limit must be >= 0 and --protected-down-interval > 0");
    }
  }

  public DetectorSettings withSessionTtl(Duration ttl) {
    return new DetectorSettings(scanInterval, massExpiryShare, massExpiryMinSuspects,
        downPerSecond, flapSuspicions, flapWindow, eventRetention, historyRetention, ttl,
        zoneLabel, pauseLimit, protectedDownInterval);
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--session-ttl", defaultValue = "10s",
        description = "replica session lease; detector failover takes about this long "
            + "(default ${DEFAULT-VALUE})")
    Duration sessionTtl;

    @Option(names = "--mass-expiry-share", defaultValue = "0.55",
        description = "a zone is disrupted while more than this share of its live nodes is "
            + "SUSPECT: SUSPECT->DOWN slows there (default ${DEFAULT-VALUE})")
    double massExpiryShare;

    @Option(names = "--zone-label", defaultValue = "zone",
        description = "node label naming its zone; nodes without it form one zone "
            + "(default ${DEFAULT-VALUE})")
    String zoneLabel;

    @Option(names = "--protection-pause-limit", defaultValue = "5",
        description = "while every zone is disrupted, SUSPECT->DOWN pauses at most this many "
            + "--down-timeouts (default ${DEFAULT-VALUE})")
    double pauseLimit;

    @Option(names = "--protected-down-interval", defaultValue = "1",
        description = "in a disrupted zone, and after the pause, one SUSPECT->DOWN per this many "
            + "--down-timeouts (default ${DEFAULT-VALUE})")
    double protectedDownInterval;

    @Option(names = "--down-rate", defaultValue = "20",
        description = "most SUSPECT->DOWN transitions per second (default ${DEFAULT-VALUE})")
    int downRate;

    @Option(names = "--event-retention", defaultValue = "100000",
        description = "change events (and their history) kept in etcd at most, for resuming "
            + "watchers and coordctl history (default ${DEFAULT-VALUE})")
    int eventRetention;

    @Option(names = "--history-retention", defaultValue = "24h",
        description = "changes and detector events older than this are trimmed; younger ones "
            + "only beyond --event-retention (default ${DEFAULT-VALUE})")
    Duration historyRetention;

    public DetectorSettings toSettings() {
      // Not flags: a quarter-second scan, three suspects before mass expiry counts, and three
      // suspicions in ten minutes for "flapping" suit every cluster size tried so far.
      return new DetectorSettings(Duration.ofMillis(250), massExpiryShare, 3, downRate, 3,
          Duration.ofMinutes(10), eventRetention, historyRetention, sessionTtl, zoneLabel,
          pauseLimit, protectedDownInterval);
    }
  }
}
