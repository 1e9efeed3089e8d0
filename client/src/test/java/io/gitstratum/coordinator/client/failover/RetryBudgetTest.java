package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The token bucket's arithmetic, as gRPC's retry throttling defines it. */
class RetryBudgetTest {

  @Test
  void retriesStopAtHalfTheTokensAndSuccessesBuyThemBack() {
    RetryBudget budget = new RetryBudget(10, 0.1);
    for (int i = 0; i < 4; i++) {
      budget.failed();
    }
    assertTrue(budget.allowsRetry(), "6 of 10 left");
    budget.failed();
    assertFalse(budget.allowsRetry(), "5 of 10: not more than half");
    for (int i = 0; i < 10; i++) {
      budget.succeeded();
    }
    assertEquals(6.0, budget.tokens(), 1e-9, "ten successes give back one token exactly");
    assertTrue(budget.allowsRetry());
  }

  @Test
  void theBucketNeitherOverflowsNorGoesNegative() {
    RetryBudget budget = new RetryBudget(4, 0.5);
    for (int i = 0; i < 100; i++) {
      budget.succeeded();
    }
    assertEquals(4.0, budget.tokens(), 1e-9);
    for (int i = 0; i < 100; i++) {
      budget.failed();
    }
    assertEquals(0.0, budget.tokens(), 1e-9);
    budget.succeeded();
    assertFalse(budget.allowsRetry());
  }

  @Test
  void aSteadyFailureRateAboveTheRatioEndsRetries() {
    RetryBudget budget = new RetryBudget(10, 0.1);
    // One failure per five successes is more than 0.1 per success can pay for.
    int retries = 0;
    for (int round = 0; round < 200; round++) {
      for (int i = 0; i < 5; i++) {
        budget.succeeded();
      }
      budget.failed();
      if (budget.allowsRetry()) {
        retries++;
      }
    }
    assertTrue(retries < 20, retries + " retries in 200 failures");
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RetryBudget(0, 0.1));
    assertThrows(IllegalArgumentException.class, () -> new RetryBudget(10, 0));
    assertThrows(IllegalArgumentException.class, () -> new RetryBudget(10, 1.5));
  }
}
