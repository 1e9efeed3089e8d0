package io.gitstratum.coordinator.facade.watch;

import java.time.Duration;

/**
 * Limits of the watch fan-out on one replica.
 *
 * @param keepaliveInterval an idle stream gets a keepalive at least this often
 * @param queueCapacity change events queued per stream before it is declared lagged
 * @param bufferCapacity recent change events kept in memory for resuming streams
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

  public static WatchSettings defaults() {
    return new WatchSettings(Duration.ofSeconds(10), 1024, 10_000, 20_000, 10_000);
  }
}
