package io.gitstratum.coordinator.client.failover;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Exponential backoff with jitter for reconnect loops: the n-th consecutive failure waits a
 * random time in {@code [d/2, d]} where {@code d = min(max, initial * 2^(n-1))}, so a loop of
 * failures never spins and many clients do not reconnect in lockstep. {@link #reset()} after a
 * success. Not thread-safe: confine to one loop.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private final Random random;
  private int failures;

  /**
   * @param initial the first delay's upper bound, positive
   * @param max the cap, at least {@code initial}
   */
  public Backoff(Duration initial, Duration max, Random random) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    if (initialNanos <= 0 || maxNanos < initialNanos) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + ", " + max);
    }
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The delay before the next attempt; counts one more failure. */
  public Duration next() {
    long bound = initialNanos;
    for (int i = 0; i < failures && bound < maxNanos; i++) {
      bound *= 2;
    }
    bound = Math.min(bound, maxNanos);
    failures = Math.min(failures + 1, 62);
    long half = bound / 2;
    return Duration.ofNanos(half + (long) (random.nextDouble() * (bound - half)));
  }

  /** Consecutive failures counted since the last reset. */
  public int failures() {
    return failures;
  }

  public void reset() {
    failures = 0;
  }
}
