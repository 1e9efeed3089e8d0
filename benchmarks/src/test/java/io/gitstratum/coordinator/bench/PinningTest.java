package io.gitstratum.coordinator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Pinning puts etcd and the replica on CPU 0 and the generator on CPU 1, or says why not. */
class PinningTest {
  @Test
  void theWorkloadJvmGetsThePinningTheRunnerDecided() {
    Pinning on = new Pinning(true, "");
    assertEquals(on, Pinning.parse(on.flag()));
    assertEquals(List.of("taskset", "-c", "0"), on.serverLauncher());
    assertEquals(List.of("taskset", "-c", "1"), on.generatorLauncher());

    Pinning off = Pinning.off("only 1 CPU available");
    assertEquals(off, Pinning.parse(off.flag()));
    assertEquals(List.of(), off.serverLauncher());
    assertEquals(List.of(), off.generatorLauncher());
    assertTrue(off.describe().contains("not pinned (only 1 CPU available)"), off.describe());
  }

  @Test
  void aRunningProcessIsMovedToTheServerCpuWhenPinningIsPossible() throws Exception {
    Pinning pinning = Pinning.detect();
    Process sleeper = new ProcessBuilder("sleep", "30").start();
    try {
      pinning.pinToServerCpu(sleeper.pid());
      String allowed = Pinning.cpusAllowed(sleeper.pid());
      if (pinning.pinned()) {
        assertEquals(String.valueOf(Pinning.SERVER_CPU), allowed);
      } else {
        // Nothing to pin with: the process keeps every CPU, and the reason is on record.
        assertFalse(pinning.why().isEmpty());
        assertFalse(allowed.equals("?"));
      }
    } finally {
      sleeper.destroy();
      sleeper.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
