package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The waits between attempts: jittered backoff, the facade's delay honoured, the cap. */
class RetryWaitsTest {
  private final RetryWaits waits = new RetryWaits(Duration.ofMillis(100), Duration.ofSeconds(2),
      Duration.ofSeconds(30), new Random(11));

  private static long ms(Optional<Duration> wait) {
    return wait.orElseThrow().toMillis();
  }

  @Test
  void withoutAFacadeDelayTheBackoffDoublesWithJitter() {
    for (int i = 0; i < 200; i++) {
      Backoff backoff = waits.backoff();
      long first = ms(waits.next(backoff, Optional.empty()));
      long second = ms(waits.next(backoff, Optional.empty()));
      assertTrue(first >= 50 && first <= 100, first + " ms");
      assertTrue(second >= 100 && second <= 200, second + " ms");
    }
  }

  @Test
  void aFacadeDelayIsWaitedNeverLessAndAtMostAQuarterMoreAtRandom() {
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      long wait = ms(waits.next(waits.backoff(), Optional.of(Duration.ofSeconds(4))));
      assertTrue(wait >= 4_000 && wait <= 5_000, wait + " ms");
      seen.add(wait / 50);
    }
    assertTrue(seen.size() >= 15, "spread over the jitter window: " + seen.size() + " buckets");
  }

  @Test
  void aDelayLongerThanTheClientWaitsEndsTheCallAndOneUnderItIsCapped() {
    assertEquals(Optional.empty(), waits.next(waits.backoff(), Optional.of(Duration.ofMinutes(1))));
    long capped = ms(waits.next(waits.backoff(), Optional.of(Duration.ofSeconds(29))));
    assertTrue(capped >= 29_000 && capped <= 30_000, capped + " ms");
  }

  @Test
  void theCapIsAtLeastTheBackoff() {
    assertThrows(IllegalArgumentException.class, () -> new RetryWaits(Duration.ofMillis(100),
        Duration.ofSeconds(2), Duration.ofSeconds(1), new Random()));
  }
}
