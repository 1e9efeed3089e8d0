package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.errors.ClientErrors;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.testing.FakeCoordinator;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A call's attempts on a fake clock: every bound, every wait. */
class RetrierTest {
  private long now;
  private final List<Long> sleeps = new ArrayList<>();
  private final List<Long> attemptDeadlines = new ArrayList<>();
  private final RetryBudget budget = new RetryBudget(10, 0.1);
  private final Retrier retrier = new Retrier(5, Duration.ofSeconds(5),
      new RetryWaits(Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(30),
          new Random(3)),
      budget, () -> now, nanos -> {
        sleeps.add(nanos);
        now += nanos;
      });

  private static CoordinatorClientException error(Status.Code code, String reason,
      Duration retryDelay) {
    return ClientErrors.fromThrowable(FakeCoordinator.error(code, reason, Map.of(), retryDelay),
        "r:1");
  }

  /** An attempt that takes {@code took} and fails with {@code failure} the first n times. */
  private String failing(int n, CoordinatorClientException failure, Duration took) {
    int[] left = {n};
    return retrier.call(limit, deadline -> {
      attemptDeadlines.add(deadline);
      now += took.toNanos();
      if (left[0]-- > 0) {
        throw failure;
      }
      return "ok";
    });
  }

  private CallLimit limit;

  @Test
  void theFacadesDelayIsWaitedWithJitterThenTheCallSucceeds() {
    assertEquals("ok", failing(2, error(Status.Code.UNAVAILABLE, "WRITE_QUEUE_FULL",
        Duration.ofSeconds(1)), Duration.ZERO));
    assertEquals(2, sleeps.size());
    for (long sleep : sleeps) {
      assertTrue(sleep >= 1_000_000_000L && sleep <= 1_250_000_000L, sleep + " ns");
    }
  }

  @Test
  void attemptsStopAtTheClientsMaximum() {
    CoordinatorClientException down = error(Status.Code.UNAVAILABLE, "", null);
    assertSame(down, assertThrows(CoordinatorClientException.class,
        () -> failing(99, down, Duration.ZERO)));
    assertEquals(5, attemptDeadlines.size());
    assertEquals(4, sleeps.size());
  }

  @Test
  void errorsNoRetryCanFixEndTheCallAtOnceAndCostNoToken() {
    CoordinatorClientException tooLarge = error(Status.Code.RESOURCE_EXHAUSTED, "", null);
    assertThrows(CoordinatorClientException.class, () -> failing(1, tooLarge, Duration.ZERO));
    assertEquals(1, attemptDeadlines.size());
    assertEquals(10.0, budget.tokens(), 1e-9);
  }

  @Test
  void aCallLimitBoundsEachAttemptsDeadlineAndMakesNoRetryThatCannotStartInTime() {
    limit = CallLimit.within(Duration.ofMillis(1_500));
    CoordinatorClientException overloaded = error(Status.Code.UNAVAILABLE, "REPLICA_OVERLOADED",
        Duration.ofSeconds(1));
    assertThrows(CoordinatorClientException.class,
        () -> failing(99, overloaded, Duration.ofMillis(200)));
    // 200 ms, a wait of 1-1.25 s, 200 ms: then less than a second is left, no third attempt.
    assertEquals(2, attemptDeadlines.size());
    assertEquals(1_500_000_000L, attemptDeadlines.get(0));
    assertTrue(attemptDeadlines.get(1) <= 1_500_000_000L - 200_000_000L - sleeps.get(0));
    assertTrue(now <= Duration.ofMillis(1_500).toNanos(), "took " + now / 1_000_000 + " ms");
  }

  @Test
  void onceLimitsToOneAttempt() {
    limit = CallLimit.once(Duration.ofSeconds(20));
    assertThrows(CoordinatorClientException.class,
        () -> failing(99, error(Status.Code.UNAVAILABLE, "", null), Duration.ZERO));
    assertEquals(List.of(Duration.ofSeconds(5).toNanos()), attemptDeadlines,
        "the client's per-attempt deadline still applies");
  }

  @Test
  void aSpentBudgetLeavesEachCallOneAttemptUntilSuccessesRefillIt() {
    CoordinatorClientException down = error(Status.Code.UNAVAILABLE, "", null);
    assertThrows(CoordinatorClientException.class, () -> failing(99, down, Duration.ZERO));
    assertEquals(5, attemptDeadlines.size(), "10 tokens: 4 retries, then 5 left");
    for (int call = 0; call < 20; call++) {
      assertThrows(CoordinatorClientException.class, () -> failing(99, down, Duration.ZERO));
    }
    assertEquals(25, attemptDeadlines.size(), "one attempt per call");
    for (int call = 0; call < 70; call++) { // 7 tokens: one failure leaves 6
      failing(0, down, Duration.ZERO);
    }
    assertEquals("ok", failing(1, down, Duration.ZERO), "refilled: a retry again");
  }

  @Test
  void aDelayBeyondTheCapEndsTheCallWithTheDelayStillOnTheError() {
    CoordinatorClientException later = error(Status.Code.UNAVAILABLE, "WRITE_QUEUE_FULL",
        Duration.ofMinutes(2));
    CoordinatorClientException thrown = assertThrows(CoordinatorClientException.class,
        () -> failing(99, later, Duration.ZERO));
    assertEquals(Duration.ofMinutes(2), thrown.retryDelay().orElseThrow());
    assertEquals(List.of(), sleeps);
  }
}
