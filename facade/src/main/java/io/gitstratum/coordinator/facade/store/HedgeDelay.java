package io.gitstratum.coordinator.facade.store;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a {@link HedgedCall} waits before sending a copy: four times the recent average
 * answer (a moving average of the copies answered), at least a third of the etcd timeout and at
 * most all of it. A member gone silent answers nothing, so it does not move the average and its
 * calls get copies soon; an etcd (or a replica) slow for every call moves it up until no copies
 * are sent, so a slow etcd is not sent two or three times the requests it already cannot keep
 * up with. Thread-safe.
 */
final class HedgeDelay {
  private final long minNanos;
  private final long maxNanos;
  private final AtomicLong averageNanos = new AtomicLong();

  HedgeDelay(Duration timeout) {
    this.maxNanos = timeout.toNanos();
    this.minNanos = maxNanos / HedgedCall.COPIES;
  }

  /** The wait before the next copy now. */
  long nanos() {
    return Math.max(minNanos, Math.min(maxNanos, 4 * averageNanos.get()));
  }

  /** The etcd timeout: no copy is sent this long after the call (its caller has given up). */
  long timeoutNanos() {
    return maxNanos;
  }

  /** A copy was answered {@code tookNanos} after it was sent. */
  void answered(long tookNanos) {
    averageNanos.updateAndGet(average -> average == 0 ? tookNanos
        : average + (tookNanos - average) / 8);
  }
}
