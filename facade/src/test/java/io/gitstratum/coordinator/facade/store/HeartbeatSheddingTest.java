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
    assertTrue(policy.refuse(standing, 0, true));
    assertFalse(policy.refuse(standing, 0, false), "a lease more than half gone goes through");
  }

  @Test
  void aBurstOrASingleSlowRenewalIsNoOverload() {
    assertFalse(policy.refuse(new Backlog(200, 300 * MS, 499 * MS), 0, true), "not standing yet");
    assertFalse(policy.refuse(new Backlog(15, 300 * MS, 5_000 * MS), 0, true), "one slow renewal");
    assertFalse(policy.refuse(new Backlog(100, 49 * MS, 5_000 * MS), 0, true), "waits are short");
    assertFalse(policy.refuse(new Backlog(0, 0, 5_000 * MS), 0, true), "nothing waits");
  }

  @Test
  void aRenewalThatWouldLikelyTimeOutIsRefusedWhateverItsLease() {
    assertTrue(policy.refuse(new Backlog(1, 1_500 * MS, 0), 0, false));
    assertFalse(policy.refuse(new Backlog(1, 1_499 * MS, 0), 0, false));
  }

  @Test
  void aHeartbeatThatWaitedForTheReplicaItselfIsShedToo() {
    Backlog idle = new Backlog(0, 0, 0);
    assertTrue(policy.refuse(idle, 500 * MS, true), "waited 10 x shedAfter for a thread");
    assertFalse(policy.refuse(idle, 499 * MS, true));
    assertFalse(policy.refuse(idle, 500 * MS, false), "a lease more than half gone goes through");
    assertTrue(policy.refuse(idle, 1_500 * MS, false), "it would likely time out anyway");
  }

  @Test
  void zeroTurnsSheddingOff() {
    HeartbeatShedding off = new HeartbeatShedding(0, 1_500 * MS);
    assertFalse(off.refuse(new Backlog(1_000, 10_000 * MS, 10_000 * MS), 10_000 * MS, true));
  }
}
