package io.gitstratum.coordinator.facade.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MassExpiryGuardTest {
  private final MassExpiryGuard guard = new MassExpiryGuard(0.55, 3);

  @ParameterizedTest(name = "{0} suspect of {1} live -> {2}")
  @CsvSource({"7, 10, true", "6, 10, true", "5, 10, false", "2, 10, false", "1, 1, false",
      "2, 2, false", "3, 3, true", "0, 0, false"})
  void protectsWhenMostLiveNodesAreSuspect(int suspect, int live, boolean expected) {
    assertEquals(expected, guard.protecting(suspect, live));
  }

  @Test
  void countsLiveStatesFromTheTopology() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      nodes.add(NodeInfo.newBuilder().setId("s" + i).setState(NodeState.NODE_STATE_SUSPECT).build());
    }
    nodes.add(NodeInfo.newBuilder().setId("a").setState(NodeState.NODE_STATE_ACTIVE).build());
    nodes.add(NodeInfo.newBuilder().setId("j").setState(NodeState.NODE_STATE_JOINING).build());
    // DOWN nodes are not live: 4 of 6 live are suspect (67 %).
    for (int i = 0; i < 10; i++) {
      nodes.add(NodeInfo.newBuilder().setId("d" + i).setState(NodeState.NODE_STATE_DOWN).build());
    }
    assertTrue(guard.protecting(Topology.of(1, nodes, HashRingConfig.getDefaultInstance())));
    nodes.add(NodeInfo.newBuilder().setId("r").setState(NodeState.NODE_STATE_DRAINING).build());
    nodes.add(NodeInfo.newBuilder().setId("b").setState(NodeState.NODE_STATE_ACTIVE).build());
    assertFalse(guard.protecting(Topology.of(2, nodes, HashRingConfig.getDefaultInstance())));
  }

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
}
