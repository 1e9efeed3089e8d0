package io.gitstratum.coordinator.client.failover;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a call's attempts: retries an error whose {@link CoordinatorClientException#isRetryable
 * remedy} allows it, after a {@link RetryWaits wait}, while every bound holds: the client's
 * attempts per call, the call's own {@link CallLimit}, and the client's {@link RetryBudget}. A
 * retry that could not start before the call's time is up is not made. Thread-safe.
 */
final class Retrier {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorClient.class);

  /** Sleeps the calling thread; replaced in tests by one that moves a fake clock. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  private final int maxAttempts;
  private final long attemptDeadlineNanos;
  private final RetryWaits waits;
  private final RetryBudget budget;
  private final LongSupplier ticker;
  private final Sleeper sleeper;

  Retrier(int maxAttempts, Duration attemptDeadline, RetryWaits waits, RetryBudget budget,
      LongSupplier ticker, Sleeper sleeper) {
    this.maxAttempts = maxAttempts;
    this.attemptDeadlineNanos = attemptDeadline.toNanos();
    this.waits = waits;
    this.budget = budget;
    this.ticker = ticker;
    this.sleeper = sleeper;
  }

  /**
   * Runs {@code attempt} (given its deadline in nanoseconds) until it succeeds or may not be
   * retried, and returns its result or throws its last error.
   *
   * @param limit bounds this call further; null for the client's settings alone
   */
  <T> T call(CallLimit limit, LongFunction<T> attempt) {
    long start = ticker.getAsLong();
    long end = limit == null ? Long.MAX_VALUE : start + limit.within().toNanos();
    int attempts = limit == null ? maxAttempts : Math.min(maxAttempts, limit.maxAttempts());
    Backoff backoff = waits.backoff();
    for (int n = 1; ; n++) {
      long left = end == Long.MAX_VALUE ? Long.MAX_VALUE : end - ticker.getAsLong();
      T result;
      try {
        result = attempt.apply(Math.min(attemptDeadlineNanos, Math.max(1, left)));
      } catch (CoordinatorClientException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        budget.failed();
        Optional<Duration> wait = n >= attempts ? Optional.empty() : waits.next(backoff,
            e.retryDelay());
        if (wait.isEmpty() || !budget.allowsRetry()) {
          throw e;
        }
        long waitNanos = wait.get().toNanos();
        if (end != Long.MAX_VALUE && end - ticker.getAsLong() <= waitNanos) {
          throw e; // the retry could not start within the call's time
        }
        log.debug("coordinator call retry {} in {} ms: {}", n, waitNanos / 1_000_000,
            e.getMessage());
        pause(waitNanos, e);
        continue;
      }
      budget.succeeded();
      return result;
    }
  }

  private void pause(long nanos, CoordinatorClientException last) {
    try {
      sleeper.sleep(nanos);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      throw last;
    }
  }

  /** The budget, which the pool also asks before passing every open circuit. */
  RetryBudget budget() {
    return budget;
  }
}
