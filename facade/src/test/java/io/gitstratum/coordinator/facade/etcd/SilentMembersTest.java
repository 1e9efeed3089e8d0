package io.gitstratum.coordinator.facade.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Which members the replica's etcd calls skip, and for how long. */
class SilentMembersTest {
  @Test
  void aMemberFoundSilentIsSkippedInTurn() {
    SilentMembers silent = new SilentMembers(3, Duration.ofSeconds(10));
    assertEquals(1, silent.nextAnswering(1));
    assertTrue(silent.markSilent(1), "the first to find it silent");
    assertFalse(silent.markSilent(1), "already known: nobody logs it twice");
    assertTrue(silent.isAvoided(1));
    assertEquals(2, silent.nextAnswering(1));
    assertEquals(0, silent.nextAnswering(3), "taken in turn, past the last member");
  }

  @Test
  void withEveryMemberSilentTheOneWhoseTimeIsUpFirstIsTried() {
    SilentMembers silent = new SilentMembers(3, Duration.ofSeconds(10));
    silent.markSilent(2);
    silent.markSilent(0);
    silent.markSilent(1);
    assertEquals(2, silent.nextAnswering(0));
  }

  @Test
  void aSilentMemberIsTriedAgainAfterTenTimeouts() {
    SilentMembers silent = new SilentMembers(2, Duration.ofMillis(20));
    assertEquals(Duration.ofMillis(200), silent.avoidedFor());
    silent.markSilent(0);
    assertEquals(1, silent.nextAnswering(0));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !silent.isAvoided(0));
    assertEquals(0, silent.nextAnswering(0));
    assertTrue(silent.markSilent(0), "silent again: a new finding");
  }

  @Test
  void othersAnswerOnlyWhileSomeOtherMemberIsNotAvoided() {
    SilentMembers three = new SilentMembers(3, Duration.ofSeconds(10));
    three.markSilent(0);
    assertTrue(three.othersAnswering(0));
    three.markSilent(1);
    assertTrue(three.othersAnswering(0), "member 2 still answers");
    three.markSilent(2);
    assertFalse(three.othersAnswering(0), "every member silent: nowhere better to go");
    SilentMembers lone = new SilentMembers(1, Duration.ofSeconds(10));
    assertFalse(lone.othersAnswering(0));
    lone.markSilent(0);
    assertFalse(lone.othersAnswering(0));
  }
}
