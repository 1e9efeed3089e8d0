package io.gitstratum.coordinator.client.failover;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds one call beyond the client's own settings: how long it may take in all (attempts and
 * the waits between them) and how many attempts it may make. A node agent bounds a heartbeat by
 * the time its node's lease has left. Immutable.
 *
 * @param within the most the whole call may take, positive
 * @param maxAttempts the most attempts, at least 1; the client's own maximum still applies
 */
public record CallLimit(Duration within, int maxAttempts) {

  public CallLimit {
    Objects.requireNonNull(within, "within");
    if (within.isNegative() || within.isZero() || maxAttempts < 1) {
      throw new IllegalArgumentException("need a positive time and at least one attempt, got "
          + within + ", " + maxAttempts);
    }
  }

  /** One attempt, taking at most {@code within}. */
  public static CallLimit once(Duration within) {
    return new CallLimit(within, 1);
  }

  /** As many attempts as the client allows, all within {@code within}. */
  public static CallLimit within(Duration within) {
    return new CallLimit(within, Integer.MAX_VALUE);
  }
}
