package io.gitstratum.coordinator.bench.measure;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Measures how long after its last renewal a silent subject is seen as gone. Subject i renews
 * every {@code renewEvery} until {@code firstStop + (i % slots) * stagger}, then falls silent;
 * an observer reports {@link #seenGone(int)}. Staggering spreads the expiries over etcd's
 * lease-expiry checks (every 500 ms) instead of measuring one of them many times; subjects that
 * share a slot stop together, so two kinds of subject compare pairwise under the same checks.
 *
 * <p>Used for both a raw etcd lease (renew = keepAliveOnce, gone = the key's DELETE event) and a
 * facade node (renew = Heartbeat, gone = SUSPECT on a watch stream). Thread-safe.
 */
public final class SilenceProbe {
  /** One renewal; throws when it failed (the subject then counts as not measured). */
  @FunctionalInterface
  public interface Renewal {
    void renew(int subject) throws Exception;
  }

  private final int subjects;
  private final int slots;
  private final AtomicLongArray lastRenewed;
  private final AtomicLongArray seen;
  private final CountDownLatch allSeen;
  private volatile boolean armed;

  public SilenceProbe(int subjects, int slots) {
    this.subjects = subjects;
    this.slots = slots;
    this.lastRenewed = new AtomicLongArray(subjects);
    this.seen = new AtomicLongArray(subjects);
    this.allSeen = new CountDownLatch(subjects);
  }

  /** The observer saw subject {@code i} gone; sightings before the renewals start are ignored. */
  public void seenGone(int i) {
    if (armed && seen.compareAndSet(i, 0, System.nanoTime())) {
      allSeen.countDown();
    }
  }

  /**
   * Renews every subject until its stop time, then waits (bounded by {@code timeout}) until all
   * are seen gone.
   *
   * @return delays last renewal → seen gone in nanoseconds, by subject; -1 for a subject not
   *     seen gone within the timeout
   */
  public long[] run(Renewal renewal, Duration renewEvery, Duration firstStop, Duration stagger,
      Duration timeout) throws InterruptedException {
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "silence-probe");
      t.setDaemon(true);
      return t;
    });
    long start = System.nanoTime();
    armed = true;
    try {
      for (int i = 0; i < subjects; i++) {
        int subject = i;
        long stopAt = start + firstStop.toNanos() + (i % slots) * stagger.toNanos();
        timer.scheduleAtFixedRate(() -> {
          if (System.nanoTime() >= stopAt) {
            throw new IllegalStateException("stopped"); // ends this subject's schedule
          }
          try {
            renewal.renew(subject);
            lastRenewed.set(subject, System.nanoTime());
          } catch (Exception e) {
            // A failed renewal leaves the previous one as the last.
          }
        }, 0, renewEvery.toMillis(), TimeUnit.MILLISECONDS);
      }
      allSeen.await(firstStop.plus(stagger.multipliedBy(slots)).plus(timeout).toMillis(),
          TimeUnit.MILLISECONDS);
    } finally {
      timer.shutdownNow();
    }
    long[] delays = new long[subjects];
    for (int i = 0; i < subjects; i++) {
      delays[i] = seen.get(i) != 0 && lastRenewed.get(i) != 0
          ? seen.get(i) - lastRenewed.get(i) : -1;
    }
    return delays;
  }

  /** The delays of subjects {@code [from, to)} that were seen gone. */
  public static Latencies of(long[] delays, int from, int to) {
    Latencies l = new Latencies(Math.max(1, to - from));
    for (int i = from; i < to; i++) {
      if (delays[i] >= 0) {
        l.add(delays[i]);
      }
    }
    return l;
  }
}
