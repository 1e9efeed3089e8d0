package io.gitstratum.coordinator.bench;

import java.time.Duration;

/**
 * The run's time limit. Workloads ask {@link #remaining()} to shorten themselves; a watchdog
 * thread ends the JVM (running the shutdown hooks that stop etcd and the facades) if the run
 * overstays its budget by the grace period anyway.
 */
public final class TimeBudget {
  /** The exit code of a JVM the watchdog stopped. */
  public static final int EXCEEDED = 3;

  /** How long past its budget the watchdog lets a run go on. */
  public static final Duration GRACE = Duration.ofSeconds(30);

  private final long deadline;

  private TimeBudget(Duration budget) {
    this.deadline = System.nanoTime() + budget.toNanos();
  }

  /** Starts the budget and its watchdog; {@code onExpiry} runs just before the JVM exits. */
  public static TimeBudget start(Duration budget, Runnable onExpiry) {
    TimeBudget b = new TimeBudget(budget);
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(budget.plus(GRACE).toMillis());
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("benchmark: time budget " + budget.toSeconds()
          + " s exceeded by " + GRACE.toSeconds() + " s, stopping");
      try {
        onExpiry.run();
      } finally {
        System.exit(EXCEEDED);
      }
    }, "bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    return b;
  }

  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  public boolean allows(Duration needed) {
    return remaining().compareTo(needed) >= 0;
  }
}
