package io.gitstratum.coordinator.bench.measure;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a task for indexes {@code [from, to)} on a few threads; bounded by a timeout. */
public final class Parallel {
  private Parallel() {}

  /** One task; a failure is counted, not propagated. */
  @FunctionalInterface
  public interface Task {
    void run(int index) throws Exception;
  }

  /** How many tasks failed, and the first failure. */
  public record Outcome(long failures, String firstFailure, double seconds) {}

  public static Outcome forEach(int from, int to, int threads, Duration timeout, Task task)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger(from);
    AtomicLong failures = new AtomicLong();
    AtomicReference<String> first = new AtomicReference<>("");
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int t = 0; t < threads; t++) {
        pool.execute(() -> {
          int i;
          while ((i = next.getAndIncrement()) < to && System.nanoTime() < deadline) {
            try {
              task.run(i);
            } catch (Exception e) {
              failures.incrementAndGet();
              first.compareAndSet("", e.toString());
            }
          }
        });
      }
      pool.shutdown();
      if (!pool.awaitTermination(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
        pool.shutdownNow();
      }
    } finally {
      pool.shutdownNow();
    }
    long skipped = Math.max(0, to - Math.max(from, next.get()));
    return new Outcome(failures.get() + skipped, first.get(), (System.nanoTime() - start) / 1e9);
  }
}
