package io.gitstratum.coordinator.bench.measure;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One fan-out measurement: a change identified by {@code id} is made at some moment, and each of
 * {@code watchers} records when it first sees that change. Thread-safe.
 */
public final class ArrivalRound {
  private final long id;
  private final long[] arrivals;
  private final CountDownLatch all;

  public ArrivalRound(long id, int watchers) {
    this.id = id;
    this.arrivals = new long[watchers];
    this.all = new CountDownLatch(watchers);
  }

  public long id() {
    return id;
  }

  /** Watcher {@code index} saw change {@code seen}; only its first sighting of the round counts. */
  public void saw(int index, long seen) {
    if (seen != id) {
      return;
    }
    long now = System.nanoTime();
    synchronized (arrivals) {
      if (arrivals[index] != 0) {
        return;
      }
      arrivals[index] = now;
    }
    all.countDown();
  }

  public boolean await(long timeoutMs) throws InterruptedException {
    return all.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** nanoTime of the last watcher to see the change (call after {@link #await} succeeded). */
  public long last() {
    synchronized (arrivals) {
      return Arrays.stream(arrivals).max().orElse(0);
    }
  }
}
