package io.gitstratum.coordinator.facade.lease;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.lease.HeartbeatShedding.Backlog;
import org.junit.jupiter.api.Test;

/**
 * The deadline rule with the defaults: shed after 50 ms, etcd timeout 3 s, heartbeat interval
 * 10 s, leases of 30 s (a refused lease must keep the longer of 10 + 3 s and half of 30 s).
 */
class HeartbeatSheddingTest {
  private static final long MS = 1_000_000;
  private static final long S = 1_000 * MS;
  private static final long SPARE = 15 * S;
  private final HeartbeatShedding policy = new HeartbeatShedding(50 * MS, 3 * S, SPARE);
  private final Backlog standing = new Backlog(16, 60 * MS, 500 * MS);

  @Test
  void aStandingQueueShedsOnlyLeasesThatCanAffordIt() {
    assertTrue(policy.refuse(standing, 29 * S), "renewed a moment ago");
    assertTrue(policy.refuse(standing, 20 * S), "renewed one interval ago");
    assertFalse(policy.refuse(standing, 15 * S), "half its lease left or less");
    assertFalse(policy.refuse(standing, 2 * S), "about to expire");
  }

  @Test
  void theQueuesWaitCountsAgainstTheLease() {
    assertTrue(policy.refuse(new Backlog(16, 60 * MS, 5 * S), SPARE + 61 * MS));
    assertFalse(policy.refuse(new Backlog(16, 60 * MS, 5 * S), SPARE + 60 * MS));
  }

  @Test
  void aLeaseThisReplicaDoesNotKnowIsAdmitted() {
    assertFalse(policy.refuse(standing, 0), "renewed through another replica, or never");
    assertFalse(policy.refuse(new Backlog(100, 2 * S, 5 * S), 0));
  }

  @Test
  void aBurstOrASingleSlowRenewalIsNoOverload() {
    assertFalse(policy.refuse(new Backlog(200, 300 * MS, 499 * MS), 29 * S), "not standing yet");
    assertFalse(policy.refuse(new Backlog(15, 300 * MS, 5 * S), 29 * S), "one slow renewal");
    assertFalse(policy.refuse(new Backlog(100, 49 * MS, 5 * S), 29 * S), "waits are short");
    assertFalse(policy.refuse(new Backlog(0, 0, 5 * S), 29 * S), "nothing waits");
  }

  @Test
  void pastHalfTheTimeoutAnyQueueIsPressedButUrgentLeasesStillGoThrough() {
    Backlog slow = new Backlog(1, 1_500 * MS, 0);
    assertTrue(policy.refuse(slow, 29 * S));
    assertFalse(policy.refuse(slow, 14 * S), "14 s left, 1.5 s of it queued: not enough spare");
    assertFalse(policy.refuse(new Backlog(1, 1_499 * MS, 0), 29 * S), "not pressed yet");
  }

  @Test
  void aRenewalThatWouldTimeOutIsRefusedWhateverItsLease() {
    assertTrue(policy.refuse(new Backlog(1, 3 * S, 0), 1 * S));
    assertTrue(policy.refuse(new Backlog(1, 3 * S, 0), 0));
    assertFalse(policy.refuse(new Backlog(1, 3 * S - 1, 0), 1 * S));
  }

  @Test
  void zeroTurnsSheddingOff() {
    HeartbeatShedding off = new HeartbeatShedding(0, 3 * S, SPARE);
    assertFalse(off.refuse(new Backlog(1_000, 10 * S, 10 * S), 29 * S));
  }
}
