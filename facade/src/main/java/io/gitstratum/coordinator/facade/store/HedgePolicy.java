package io.gitstratum.coordinator.facade.store;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When a {@link HedgedCall} may send a copy. After a wait of four times the recent average
 * answer (a moving average of the copies answered), at least a third of the etcd timeout and at
 * most all of it: a member gone silent answers nothing, so it does not move the average and its
 * calls get copies soon; an etcd (or a replica) slow for every call moves it up until no copies
 * are sent. And only while fewer than {@link #COPIES_IN_FLIGHT} copies are out: a burst of
 * calls (a lease pool refilling for a registration storm) that etcd answers late gets a few
 * copies, not two or three times the requests etcd already cannot keep up with. Thread-safe.
 */
final class HedgePolicy {
  private final long minNanos;
  private final long maxNanos;
  private final AtomicLong averageNanos = new AtomicLong();
  private final AtomicInteger copiesOut = new AtomicInteger();

  /** Copies (beyond each call's first request) in flight at most, per store. */
  static final int COPIES_IN_FLIGHT = 8;

  HedgePolicy(Duration timeout) {
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

  /** Takes one of the copies in flight; false when they are all out. */
  boolean takeCopy() {
    return copiesOut.getAndUpdate(out -> out < COPIES_IN_FLIGHT ? out + 1 : out)
        < COPIES_IN_FLIGHT;
  }

  /** A copy taken with {@link #takeCopy} was answered or failed. */
  void copyDone() {
    copiesOut.decrementAndGet();
  }

  /** A copy was answered {@code tookNanos} after it was sent. */
  void answered(long tookNanos) {
    averageNanos.updateAndGet(average -> average == 0 ? tookNanos
        : average + (tookNanos - average) / 8);
  }
}
