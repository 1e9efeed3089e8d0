package io.gitstratum.coordinator.facade.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.errors.NodeNotFoundException;
import io.gitstratum.coordinator.facade.errors.NodeStateException;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The admin service's transitions, and the reason each transition records. */
class OperatorTransitionsTest {
  private static final HeartbeatTransitionsTest.Keys NO_KEYS =
      new HeartbeatTransitionsTest.Keys(Set.of(), Set.of());

  private Topology topology = Topology.empty();

  private void node(String id, NodeState state) {
    NodeInfo node = NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g").setState(state).build();
    topology = topology.apply(TopologyUpdate.newBuilder().setPreviousVersion(topology.version())
        .setVersion(topology.version() + 1).setNodeAdded(node).build());
  }

  @Test
  void confirmDownWritesEverySuspectNodeDownAtOnceWithoutItsGraceKey() {
    node("a", NodeState.NODE_STATE_SUSPECT);
    node("b", NodeState.NODE_STATE_SUSPECT);
    node("gone", NodeState.NODE_STATE_DOWN);
    Transition<OptionalLong> t =
        TopologyTransitions.confirmDown(topology, List.of("a", "b", "gone", "unknown", "a"));
    assertEquals(List.of(4L, 5L), t.updates().stream().map(TopologyUpdate::getVersion).toList());
    assertEquals(List.of(3L, 4L),
        t.updates().stream().map(TopologyUpdate::getPreviousVersion).toList());
    t.updates().forEach(u -> assertEquals(NodeState.NODE_STATE_DOWN, u.getNodeUpdated().getState()));
    assertEquals(List.of(new LivenessEffect.ClearGrace("a"), new LivenessEffect.ClearGrace("b")),
        t.effects());
    assertEquals(List.of(new LivenessGuard.AliveAbsent("a"), new LivenessGuard.AliveAbsent("b")),
        t.guards(), "a node that heartbeats again is not written DOWN");
    assertEquals(OptionalLong.of(5), t.response());
    assertEquals(ChangeReason.CHANGE_REASON_CONFIRMED_DOWN_BY_OPERATOR, t.reason());
  }

  @Test
  void confirmDownOfALiveNodeIsRefusedAndWritesNothing() {
    node("a", NodeState.NODE_STATE_SUSPECT);
    node("b", NodeState.NODE_STATE_ACTIVE);
    NodeStateException e = assertThrows(NodeStateException.class,
        () -> TopologyTransitions.confirmDown(topology, List.of("a", "b")));
    assertEquals("NODE_STATE_ACTIVE", e.metadata().get("state"));
    assertFalse(TopologyTransitions.confirmDown(topology, List.of("unknown")).changes());
  }

  @Test
  void drainMovesALiveNodeToDrainingOnce() {
    node("a", NodeState.NODE_STATE_ACTIVE);
    LivenessOverlay liveness = new LivenessOverlay(NO_KEYS);
    Transition<Long> t = TopologyTransitions.drain(topology, liveness, "a");
    assertEquals(NodeState.NODE_STATE_DRAINING, t.updates().get(0).getNodeUpdated().getState());
    assertEquals(List.of(new LivenessEffect.MarkDrained("a", "g")), t.effects());
    assertEquals(2L, t.response());
    assertEquals(ChangeReason.CHANGE_REASON_DRAINED_BY_OPERATOR, t.reason());
    topology = topology.apply(t.updates().get(0));
    liveness.apply(t.effects());
    assertFalse(TopologyTransitions.drain(topology, liveness, "a").changes(), "already drained");
    node("d", NodeState.NODE_STATE_DOWN);
    assertThrows(NodeStateException.class,
        () -> TopologyTransitions.drain(topology, liveness, "d"));
    assertThrows(NodeNotFoundException.class,
        () -> TopologyTransitions.drain(topology, liveness, "zz"));
  }

  @Test
  void aDrainedNodeComesBackDrainingFromSuspectAndDownUntilANewGeneration() {
    LivenessOverlay liveness = new LivenessOverlay(NO_KEYS);
    liveness.apply(List.of(new LivenessEffect.MarkDrained("a", "g")));
    HeartbeatRequest beat = HeartbeatRequest.newBuilder().setNodeId("a").setGenerationId("g")
        .setReportedState(NodeState.NODE_STATE_ACTIVE).build();
    for (NodeState lapsed : List.of(NodeState.NODE_STATE_SUSPECT, NodeState.NODE_STATE_DOWN)) {
      topology = Topology.empty();
      node("a", lapsed);
      Transition<HeartbeatOutcome> revived =
          TopologyTransitions.heartbeat(topology, liveness, beat, 5);
      assertEquals(NodeState.NODE_STATE_DRAINING, revived.response().node().getState(),
          "revived from " + lapsed);
    }
    NodeInfo restarted = topology.node("a").orElseThrow().toBuilder().setGenerationId("g2")
        .build();
    Transition<RegisterNodeResponse> registered =
        TopologyTransitions.register(topology, restarted, 6);
    assertTrue(registered.effects().contains(new LivenessEffect.ClearDrained("a")));
  }

  @Test
  void everyNodeChangeSaysWhy() {
    NodeInfo fresh = NodeInfo.newBuilder().setId("n").setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g").build();
    assertEquals(ChangeReason.CHANGE_REASON_REGISTERED,
        TopologyTransitions.register(topology, fresh, 1).reason());
    node("a", NodeState.NODE_STATE_ACTIVE);
    assertEquals(ChangeReason.CHANGE_REASON_DEREGISTERED, TopologyTransitions.deregister(
        topology, DeregisterNodeRequest.newBuilder().setNodeId("a").build()).reason());
    HeartbeatTransitionsTest.Keys lapsed = new HeartbeatTransitionsTest.Keys(Set.of(), Set.of());
    assertEquals(ChangeReason.CHANGE_REASON_LEASE_EXPIRED,
        TopologyTransitions.suspect(topology, lapsed, "a").reason());
    node("s", NodeState.NODE_STATE_SUSPECT);
    assertEquals(ChangeReason.CHANGE_REASON_GRACE_EXPIRED,
        TopologyTransitions.down(topology, lapsed, "s").reason());
    assertEquals(ChangeReason.CHANGE_REASON_HEARTBEAT_REVIVED, TopologyTransitions.heartbeat(
        topology, lapsed, beat("s", NodeState.NODE_STATE_ACTIVE), 1).reason());
    node("j", NodeState.NODE_STATE_JOINING);
    HeartbeatTransitionsTest.Keys alive =
        new HeartbeatTransitionsTest.Keys(Set.of("j"), Set.of());
    assertEquals(ChangeReason.CHANGE_REASON_HEARTBEAT_REPORTED, TopologyTransitions.heartbeat(
        topology, alive, beat("j", NodeState.NODE_STATE_ACTIVE), 1).reason());
  }

  private static HeartbeatRequest beat(String id, NodeState reported) {
    return HeartbeatRequest.newBuilder().setNodeId(id).setGenerationId("g")
        .setReportedState(reported).build();
  }
}
