package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.store.HeartbeatShedding.Backlog;
import org.junit.jupiter.api.Test;

class HeartbeatSheddingTest {
  private static final long MS = 1_000_000;
  private final HeartbeatShedding policy = new HeartbeatShedding(50 * MS, 1_500 * MS);

  @Test
  void aStandingQueueShedsLeasesRenewedRecently() {
    Backlog standing = new Backlog(16, 60 * MS, 500 * MS);
    assertTrue(policy.refuse(standing, true));
    assertFalse(policy.refuse(standing, false), "a lease more than half gone goes through");
  }

  @Test
  void aBurstOrASingleSlowRenewalIsNoOverload() {
    assertFalse(policy.refuse(new Backlog(200, 300 * MS, 499 * MS), true), "not standing yet");
    assertFalse(policy.refuse(new Backlog(15, 300 * MS, 5_000 * MS), true), "one slow renewal");
    assertFalse(policy.refuse(new Backlog(100, 49 * MS, 5_000 * MS), true), "waits are short");
    assertFalse(policy.refuse(new Backlog(0, 0, 5_000 * MS), true), "nothing waits");
  }

  @Test
  void aRenewalThatWouldLikelyTimeOutIsRefusedWhateverItsLease() {
    assertTrue(policy.refuse(new Backlog(1, 1_500 * MS, 0), false));
    assertFalse(policy.refuse(new Backlog(1, 1_499 * MS, 0), false));
  }

  @Test
  void zeroTurnsSheddingOff() {
    HeartbeatShedding off = new HeartbeatShedding(0, 1_500 * MS);
    assertFalse(off.refuse(new Backlog(1_000, 10_000 * MS, 10_000 * MS), true));
  }
}
