package io.gitstratum.coordinator.facade.watch;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Limits of the watch fan-out on one replica.
 *
 * @param keepaliveInterval an idle stream gets a keepalive at least this often
 * @param queueCapacity change events queued per stream before it catches up from the buffer
 * @param bufferCapacity recent change events kept in memory for resuming and catching-up
 *     streams; a stream further behind is lagged
 * @param maxSubscribers streams this replica accepts; more get RESOURCE_EXHAUSTED
 * @param replayLimit most events replayed from etcd's log to one resuming stream (else full_sync)
 */
public record WatchSettings(Duration keepaliveInterval, int queueCapacity, int bufferCapacity,
    int maxSubscribers, int replayLimit) {
  public WatchSettings {
    if (keepaliveInterval.isNegative() || keepaliveInterval.isZero()) {
      throw new IllegalArgumentException("--watch-keepalive must be > 0");
    }
    if (queueCapacity < 1 || bufferCapacity < 1 || maxSubscribers < 1 || replayLimit < 1) {
      throw new IllegalArgumentException("watch limits must be >= 1");
    }
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    /** Bounds one resuming stream's read of etcd's log; the event log keeps about as many. */
    private static final int REPLAY_LIMIT = 10_000;

    @Option(names = "--watch-keepalive", defaultValue = "10s",
        description = "keepalive on idle watch streams (default ${DEFAULT-VALUE})")
    Duration keepalive;

    @Option(names = "--watch-queue", defaultValue = "1024",
        description = "updates queued per watch stream before it catches up from the "
            + "--watch-buffer "
            + "(default ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--watch-buffer", defaultValue = "10000",
        description = "recent updates kept in memory for resuming and catching-up watchers; "
            + "a stream further behind is lagged "
            + "(default ${DEFAULT-VALUE})")
    int buffer;

    @Option(names = "--max-watchers", defaultValue = "20000",
        description = "watch streams per replica (default ${DEFAULT-VALUE})")
    int maxWatchers;

    public WatchSettings toSettings() {
      return new WatchSettings(keepalive, queue, buffer, maxWatchers, REPLAY_LIMIT);
    }
  }
}
