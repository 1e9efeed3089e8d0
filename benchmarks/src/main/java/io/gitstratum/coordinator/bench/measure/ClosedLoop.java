package io.gitstratum.coordinator.bench.measure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs {@code callers} threads that each call an operation back to back: a warm-up, then a
 * measured window. Bounded in time (warm-up + window + the operations' own deadlines) and in
 * count ({@code maxOps}).
 */
public final class ClosedLoop {
  private ClosedLoop() {}

  /** One call of the measured operation; {@code seq} counts this caller's calls from 0. */
  @FunctionalInterface
  public interface Op {
    void call(int caller, long seq) throws Exception;
  }

  public static LoopResult run(String name, int callers, Duration warmup, Duration window,
      long maxOps, Op op) throws InterruptedException {
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + window.toNanos();
    long perCaller = Math.max(1, maxOps / callers);
    Latencies latencies = new Latencies((int) Math.min(maxOps, 4_000_000));
    AtomicLong ops = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong total = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>("");
    AtomicLong lastEnd = new AtomicLong(measureFrom);
    List<Thread> threads = new ArrayList<>(callers);
    for (int c = 0; c < callers; c++) {
      int caller = c;
      Thread thread = new Thread(() -> {
        for (long seq = 0; seq < perCaller; seq++) {
          long t0 = System.nanoTime();
          if (t0 >= end) {
            break;
          }
          boolean ok;
          try {
            op.call(caller, seq);
            ok = true;
          } catch (Exception e) {
            ok = false;
            firstError.compareAndSet("", e.toString());
          }
          long t1 = System.nanoTime();
          total.incrementAndGet();
          if (t0 >= measureFrom) {
            if (ok) {
              ops.incrementAndGet();
              latencies.add(t1 - t0);
            } else {
              errors.incrementAndGet();
            }
            lastEnd.accumulateAndGet(t1, Math::max);
          }
        }
      }, name + "-" + c);
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    // Until the last measured call ended: a count-bounded loop may end before the window does.
    double seconds = Math.max(1e-3, (lastEnd.get() - measureFrom) / 1e9);
    return new LoopResult(ops.get(), errors.get(), seconds, total.get(), latencies,
        firstError.get());
  }
}
