package io.gitstratum.coordinator.facade.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FullSyncGateTest {
  private final List<String> woken = new ArrayList<>();

  private Runnable wake(String who) {
    return () -> woken.add(who);
  }

  @Test
  void messagesShareTheBudgetAndOneLargerThanItStillGoesAlone() {
    FullSyncGate gate = new FullSyncGate(100);
    assertTrue(gate.tryAcquire("a", 60, wake("a")));
    assertTrue(gate.tryAcquire("b", 40, wake("b")), "fits next to a");
    assertFalse(gate.tryAcquire("c", 1, wake("c")), "budget spent");
    gate.release(60);
    gate.release(40);
    assertTrue(gate.tryAcquire("c", 1, wake("c")));
    gate.release(1);

    assertTrue(gate.tryAcquire("huge", 500, wake("huge")), "nothing in transit: goes alone");
    assertFalse(gate.tryAcquire("small", 1, wake("small")));
    assertEquals(500, gate.inTransit());
  }

  @Test
  void waitersAreServedInArrivalOrderAndWokenWhenTheirTurnComes() {
    FullSyncGate gate = new FullSyncGate(100);
    assertTrue(gate.tryAcquire("a", 100, wake("a")));
    assertFalse(gate.tryAcquire("b", 100, wake("b")));
    assertFalse(gate.tryAcquire("c", 10, wake("c")));
    assertFalse(gate.tryAcquire("b", 100, wake("b")), "asking again keeps one place in line");
    assertEquals(2, gate.waiting());

    gate.release(100);
    assertEquals(List.of("b"), woken, "only the first in line is woken");
    assertFalse(gate.tryAcquire("c", 10, wake("c")), "c may not overtake b");
    assertTrue(gate.tryAcquire("b", 100, wake("b")));
    assertEquals(List.of("b", "c"), woken, "taking a turn wakes the next, who may fit too");
    assertFalse(gate.tryAcquire("c", 10, wake("c")), "it does not: b fills the budget");
  }

  @Test
  void aWaiterThatLeavesPassesItsTurnOn() {
    FullSyncGate gate = new FullSyncGate(100);
    assertTrue(gate.tryAcquire("a", 100, wake("a")));
    assertFalse(gate.tryAcquire("b", 50, wake("b")));
    assertFalse(gate.tryAcquire("c", 50, wake("c")));
    gate.cancel("c");
    assertEquals(List.of(), woken, "c was not first: nobody's turn changed");
    gate.cancel("b");
    assertEquals(0, gate.waiting());
    gate.release(100);
    assertEquals(0, gate.inTransit());
    assertTrue(gate.tryAcquire("d", 100, wake("d")));
  }
}
