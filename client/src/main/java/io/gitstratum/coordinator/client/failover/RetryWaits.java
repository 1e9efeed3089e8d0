package io.gitstratum.coordinator.client.failover;

import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * The wait before a retry. Without a delay from the facade: the call's exponential backoff with
 * jitter ({@link Backoff}). With one ({@code RetryInfo}): that delay plus up to
 * {@value #SERVER_JITTER_PERCENT} % more at random, never less, so that the many clients a
 * replica refused at one moment do not all come back at the next. A wait beyond {@code maxWait}
 * is not made: the call ends with its error, which still carries the facade's delay. Pure but
 * for the random draws; thread-safe when its {@code Random} is.
 */
final class RetryWaits {
  static final int SERVER_JITTER_PERCENT = 25;

  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final long maxWaitNanos;
  private final Random random;

  RetryWaits(Duration initialBackoff, Duration maxBackoff, Duration maxWait, Random random) {
    if (maxWait.compareTo(maxBackoff) < 0) {
      throw new IllegalArgumentException("max wait " + maxWait + " is below the max backoff "
          + maxBackoff);
    }
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.maxWaitNanos = maxWait.toNanos();
    this.random = random;
  }

  /** A fresh backoff for one call. */
  Backoff backoff() {
    return new Backoff(initialBackoff, maxBackoff, random);
  }

  /**
   * The wait before the next attempt of a call, or empty when the facade asked for longer than
   * this client waits.
   */
  Optional<Duration> next(Backoff backoff, Optional<Duration> serverDelay) {
    long wait = backoff.next().toNanos();
    if (serverDelay.isPresent()) {
      long asked = serverDelay.get().toNanos();
      if (asked > maxWaitNanos) {
        return Optional.empty();
      }
      long jitter = (long) (random.nextDouble() * asked * SERVER_JITTER_PERCENT / 100);
      wait = Math.max(wait, Math.min(maxWaitNanos, asked + jitter));
    }
    return Optional.of(Duration.ofNanos(wait));
  }
}
