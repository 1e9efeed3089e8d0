package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesWithJitterUpToTheCapAndResets() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), new Random(7));
    long[] bounds = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long bound : bounds) {
      long ms = backoff.next().toMillis();
      assertTrue(ms >= bound / 2 && ms <= bound, ms + " not in [" + bound / 2 + ", " + bound + "]");
    }
    assertEquals(bounds.length, backoff.failures());
    backoff.reset();
    assertTrue(backoff.next().toMillis() <= 100);
  }

  @Test
  void neverZeroAndNeverOverflows() {
    Backoff backoff = new Backoff(Duration.ofNanos(2), Duration.ofDays(1), new Random(1));
    for (int i = 0; i < 200; i++) {
      Duration d = backoff.next();
      assertTrue(!d.isNegative() && d.compareTo(Duration.ofDays(1)) <= 0, d.toString());
    }
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), new Random()));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new Random()));
  }
}
