package io.gitstratum.coordinator.facade.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FlapDamperTest {
  @Test
  void flappingNodesWaitAnotherSuspectTimeout() {
    FlapDamper damper = new FlapDamper(3, Duration.ofMinutes(10), Duration.ofSeconds(30));
    long t = 1_000_000;
    assertEquals(0, damper.extraDelayMs("n", t));
    damper.suspected("n", t);
    damper.suspected("n", t + 60_000);
    assertEquals(0, damper.extraDelayMs("n", t + 61_000));
    damper.suspected("n", t + 120_000);
    assertEquals(30_000, damper.extraDelayMs("n", t + 121_000));
    // Ten minutes after the first suspicion it ages out of the window.
    assertEquals(0, damper.extraDelayMs("n", t + 600_001));
    assertEquals(0, damper.extraDelayMs("other", t));
  }

  @Test
  void nodesSuspectedLongAgoAreForgottenAsNewSuspicionsArrive() {
    FlapDamper damper = new FlapDamper(3, Duration.ofMinutes(10), Duration.ofSeconds(30));
    long t = 1_000_000;
    for (int i = 0; i < 1_000; i++) {
      damper.suspected("n" + i, t + i);
    }
    assertEquals(1_000, damper.remembered());
    damper.suspected("later", t + 600_000 + 1_000);
    assertEquals(1, damper.remembered(), "only the node suspected within the window");
    assertEquals(0, damper.extraDelayMs("later", t + 600_000 + 1_001));
  }
}
