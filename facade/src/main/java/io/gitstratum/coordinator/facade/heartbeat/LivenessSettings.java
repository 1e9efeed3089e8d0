package io.gitstratum.coordinator.facade.heartbeat;

import io.gitstratum.coordinator.facade.core.Durations;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How node liveness is kept and judged (the contract's state machine).
 *
 * @param heartbeatInterval interval advised to nodes
 * @param suspectTimeout silence before SUSPECT: the TTL of a node's alive lease (whole seconds)
 * @param downTimeout silence before DOWN (whole seconds, longer than {@code suspectTimeout})
 * @param heartbeatShedAfter a heartbeat is refused at once (UNAVAILABLE, REPLICA_OVERLOADED, with
 *     a RetryInfo) while lease renewals have kept waiting this long for etcd on its stream (a
 *     standing queue, see LeaseKeepAlives) and its lease can afford to wait: past its capacity a
 *     replica sheds the excess by deadline instead of queueing it, never a heartbeat whose lease
 *     would run out before the node's next one; zero never sheds
 */
public record LivenessSettings(Duration heartbeatInterval, Duration suspectTimeout,
    Duration downTimeout, Duration heartbeatShedAfter) {
  public LivenessSettings {
    require(wholeSeconds(suspectTimeout) && wholeSeconds(downTimeout),
        "--suspect-timeout and --down-timeout are etcd lease TTLs: whole seconds");
    require(suspectTimeout.compareTo(Duration.ofSeconds(2)) >= 0,
        "--suspect-timeout must be at least 2s (etcd's minimum lease TTL)");
    // The values in effect are named: a flag given alone meets the other's default.
    require(downTimeout.compareTo(suspectTimeout) > 0,
        "--down-timeout is " + Durations.format(downTimeout) + " (given, or its default) and "
            + "must be longer than --suspect-timeout " + Durations.format(suspectTimeout)
            + ": give a longer --down-timeout as well");
    require(!heartbeatShedAfter.isNegative(), "--heartbeat-shed-after must be >= 0");
    require(heartbeatInterval.compareTo(suspectTimeout) < 0,
        "--heartbeat-interval is " + Durations.format(heartbeatInterval) + " (given, or its "
            + "default) and must be shorter than --suspect-timeout "
            + Durations.format(suspectTimeout) + ": give a shorter --heartbeat-interval as well");
  }

  /** These timeouts with {@code shedAfter} kept. */
  public LivenessSettings withTimeouts(Duration heartbeat, Duration suspect, Duration down) {
    return new LivenessSettings(heartbeat, suspect, down, heartbeatShedAfter);
  }

  /** How long a SUSPECT node waits for DOWN: the grace lease's TTL. */
  public Duration grace() {
    return downTimeout.minus(suspectTimeout);
  }

  private static boolean wholeSeconds(Duration d) {
    return d.getNano() == 0;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--heartbeat-interval", defaultValue = "10s",
        description = "interval advised to nodes (default ${DEFAULT-VALUE})")
    Duration heartbeatInterval;

    @Option(names = "--heartbeat-shed-after", defaultValue = "50ms",
        description = "refuse heartbeats at once (UNAVAILABLE with a retry delay) while lease "
            + "renewals keep waiting this long for etcd, only those whose leases can wait; 0s "
            + "never refuses (default ${DEFAULT-VALUE})")
    Duration heartbeatShedAfter;

    @Option(names = "--suspect-timeout", defaultValue = "30s",
        description = "silence before SUSPECT, whole seconds (default ${DEFAULT-VALUE})")
    Duration suspectTimeout;

    @Option(names = "--down-timeout", defaultValue = "60s",
        description = "silence before DOWN, whole seconds (default ${DEFAULT-VALUE})")
    Duration downTimeout;

    public LivenessSettings toSettings() {
      return new LivenessSettings(heartbeatInterval, suspectTimeout, downTimeout,
          heartbeatShedAfter);
    }
  }
}
