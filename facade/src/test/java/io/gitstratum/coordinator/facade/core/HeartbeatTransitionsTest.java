package io.gitstratum.coordinator.facade.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.errors.GenerationMismatchException;
import io.gitstratum.coordinator.facade.errors.NodeNotFoundException;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeartbeatTransitionsTest {
  private static final long NOW = 1_700_000_000_000L;

  /** Liveness keys of a test: the given ids have alive keys, the others grace keys. */
  record Keys(Set<String> alive, Set<String> grace) implements LivenessView {
    @Override
    public boolean hasAlive(String nodeId) {
      return alive.contains(nodeId);
    }

    @Override
    public boolean hasGrace(String nodeId) {
      return grace.contains(nodeId);
    }

    @Override
    public boolean isDrained(String nodeId) {
      return false;
    }
  }

  private static final Keys ALIVE = new Keys(Set.of("n"), Set.of());
  private static final Keys LAPSED = new Keys(Set.of(), Set.of());
  private static final Keys IN_GRACE = new Keys(Set.of(), Set.of("n"));

  private static Topology with(NodeState state) {
    NodeInfo node = NodeInfo.newBuilder().setId("n").setAddress("h").setPort(1)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g").setState(state).build();
    return Topology.of(7, List.of(node), io.gitstratum.coordinator.proto.HashRingConfig
        .getDefaultInstance());
  }

  private static HeartbeatRequest beat(NodeState reported) {
    return HeartbeatRequest.newBuilder().setNodeId("n").setGenerationId("g")
        .setReportedState(reported).build();
  }

  @ParameterizedTest(name = "{0} + reported {1} -> {2}")
  @CsvSource({
      "NODE_STATE_JOINING,  NODE_STATE_UNKNOWN,  NODE_STATE_ACTIVE",
      "NODE_STATE_JOINING,  NODE_STATE_ACTIVE,   NODE_STATE_ACTIVE",
      "NODE_STATE_JOINING,  NODE_STATE_JOINING,  NODE_STATE_JOINING",
      "NODE_STATE_JOINING,  NODE_STATE_DRAINING, NODE_STATE_DRAINING",
      "NODE_STATE_ACTIVE,   NODE_STATE_ACTIVE,   NODE_STATE_ACTIVE",
      "NODE_STATE_ACTIVE,   NODE_STATE_JOINING,  NODE_STATE_ACTIVE",
      "NODE_STATE_ACTIVE,   NODE_STATE_DRAINING, NODE_STATE_DRAINING",
      "NODE_STATE_DRAINING, NODE_STATE_ACTIVE,   NODE_STATE_DRAINING",
      "NODE_STATE_DRAINING, NODE_STATE_UNKNOWN,  NODE_STATE_DRAINING",
      "NODE_STATE_SUSPECT,  NODE_STATE_UNKNOWN,  NODE_STATE_ACTIVE",
      "NODE_STATE_SUSPECT,  NODE_STATE_JOINING,  NODE_STATE_JOINING",
      "NODE_STATE_SUSPECT,  NODE_STATE_DRAINING, NODE_STATE_DRAINING",
      "NODE_STATE_DOWN,     NODE_STATE_ACTIVE,   NODE_STATE_ACTIVE",
      "NODE_STATE_DOWN,     NODE_STATE_JOINING,  NODE_STATE_JOINING",
  })
  void stateMachine(NodeState current, NodeState reported, NodeState expected) {
    assertEquals(expected, TopologyTransitions.nextState(current, reported));
  }

  @Test
  void aSteadyHeartbeatWritesNothing() {
    Transition<HeartbeatOutcome> t = TopologyTransitions.heartbeat(
        with(NodeState.NODE_STATE_ACTIVE), ALIVE, beat(NodeState.NODE_STATE_UNKNOWN), NOW);
    assertFalse(t.changes());
    assertEquals(7, t.response().version());
  }

  @Test
  void joiningToActiveIsOneChange() {
    Transition<HeartbeatOutcome> t = TopologyTransitions.heartbeat(
        with(NodeState.NODE_STATE_JOINING), ALIVE, beat(NodeState.NODE_STATE_ACTIVE), NOW);
    assertEquals(1, t.updates().size());
    TopologyUpdate u = t.updates().get(0);
    assertEquals(NodeState.NODE_STATE_ACTIVE, u.getNodeUpdated().getState());
    assertEquals(NOW, u.getNodeUpdated().getLastHeartbeatAt());
    assertEquals(8, t.response().version());
    assertTrue(t.effects().isEmpty(), "the lease is alive: no new lease");
  }

  @Test
  void suspectNodeReturnsWithAFreshLease() {
    Transition<HeartbeatOutcome> t = TopologyTransitions.heartbeat(
        with(NodeState.NODE_STATE_SUSPECT), IN_GRACE, beat(NodeState.NODE_STATE_ACTIVE), NOW);
    assertEquals(NodeState.NODE_STATE_ACTIVE, t.updates().get(0).getNodeUpdated().getState());
    assertEquals(List.of(new LivenessEffect.AttachAlive("n", "g"),
        new LivenessEffect.ClearGrace("n")), t.effects());
  }

  @Test
  void aLapsedLeaseIsRenewedWithoutATopologyChange() {
    Transition<HeartbeatOutcome> t = TopologyTransitions.heartbeat(
        with(NodeState.NODE_STATE_ACTIVE), LAPSED, beat(NodeState.NODE_STATE_ACTIVE), NOW);
    assertTrue(t.updates().isEmpty());
    assertTrue(t.changes());
    assertEquals(7, t.response().version());
  }

  @Test
  void unknownNodesAndZombiesAreRefused() {
    Topology t = with(NodeState.NODE_STATE_ACTIVE);
    assertThrows(NodeNotFoundException.class, () -> TopologyTransitions.heartbeat(t, ALIVE,
        beat(NodeState.NODE_STATE_ACTIVE).toBuilder().setNodeId("other").build(), NOW));
    assertThrows(GenerationMismatchException.class, () -> TopologyTransitions.heartbeat(t, ALIVE,
        beat(NodeState.NODE_STATE_ACTIVE).toBuilder().setGenerationId("old").build(), NOW));
  }

  @Test
  void detectorSuspectsOnlyLiveNodesWithoutALease() {
    Transition<OptionalLong> suspected = TopologyTransitions.suspect(
        with(NodeState.NODE_STATE_ACTIVE), LAPSED, "n");
    NodeInfo node = suspected.updates().get(0).getNodeUpdated();
    assertEquals(NodeState.NODE_STATE_SUSPECT, node.getState());
    assertEquals(1, node.getSuspectCount());
    assertEquals(List.of(new LivenessEffect.StartGrace("n")), suspected.effects());
    // Decided on the cache's view: etcd must still lack the alive key when it commits.
    assertEquals(List.of(new LivenessGuard.AliveAbsent("n")), suspected.guards());
    assertEquals(OptionalLong.of(8), suspected.response());

    assertFalse(TopologyTransitions.suspect(with(NodeState.NODE_STATE_ACTIVE), ALIVE, "n")
        .changes());
    assertFalse(TopologyTransitions.suspect(with(NodeState.NODE_STATE_SUSPECT), LAPSED, "n")
        .changes());
    assertFalse(TopologyTransitions.suspect(with(NodeState.NODE_STATE_DOWN), LAPSED, "n")
        .changes());
    assertFalse(TopologyTransitions.suspect(with(NodeState.NODE_STATE_ACTIVE), LAPSED, "x")
        .changes());
  }

  @Test
  void detectorDownsSuspectNodesWhoseGraceEnded() {
    Transition<OptionalLong> down = TopologyTransitions.down(
        with(NodeState.NODE_STATE_SUSPECT), LAPSED, "n");
    assertEquals(NodeState.NODE_STATE_DOWN, down.updates().get(0).getNodeUpdated().getState());
    assertEquals(List.of(new LivenessGuard.GraceAbsent("n"), new LivenessGuard.AliveAbsent("n"),
        new LivenessGuard.PauseAbsent()), down.guards(), "an operator's pause stops it in etcd");
    assertFalse(TopologyTransitions.down(with(NodeState.NODE_STATE_SUSPECT), IN_GRACE, "n")
        .changes());
    assertFalse(TopologyTransitions.down(with(NodeState.NODE_STATE_ACTIVE), LAPSED, "n")
        .changes());
  }

  @Test
  void overlaySeesPendingEffects() {
    LivenessOverlay overlay = new LivenessOverlay(LAPSED);
    overlay.apply(List.of(new LivenessEffect.AttachAlive("n", "g")));
    assertTrue(overlay.hasAlive("n"));
    overlay.apply(List.of(new LivenessEffect.StartGrace("n")));
    assertTrue(overlay.hasGrace("n"));
    overlay.apply(List.of(new LivenessEffect.ClearLiveness("n")));
    assertFalse(overlay.hasAlive("n"));
    assertFalse(overlay.hasGrace("n"));
  }
}
