package io.gitstratum.coordinator.facade.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.errors.GenerationMismatchException;
import io.gitstratum.coordinator.facade.errors.TypeConflictException;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import org.junit.jupiter.api.Test;

class TopologyTransitionsTest {
  private static final long NOW = 1_700_000_000_000L;

  private static NodeInfo node(String id, String generation) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(generation)
        .setState(NodeState.NODE_STATE_JOINING).build();
  }

  private static Topology after(Topology before, Transition<?> t) {
    Topology out = before;
    for (TopologyUpdate u : t.updates()) {
      out = out.apply(u);
    }
    return out;
  }

  private static Topology with(NodeInfo... nodes) {
    Topology t = Topology.empty();
    for (NodeInfo n : nodes) {
      t = after(t, TopologyTransitions.register(t, n, NOW));
    }
    return t;
  }

  @Test
  void newNodeIsAddedAsJoiningWithServerFields() {
    Transition<RegisterNodeResponse> t =
        TopologyTransitions.register(Topology.empty(), node("a", "g"), NOW);
    assertEquals(1, t.updates().size());
    TopologyUpdate u = t.updates().get(0);
    assertEquals(1, u.getVersion());
    assertEquals(0, u.getPreviousVersion());
    assertEquals(NodeState.NODE_STATE_JOINING, u.getNodeAdded().getState());
    assertEquals(NOW, u.getNodeAdded().getRegisteredAt());
    assertFalse(t.response().getAlreadyRegistered());
    assertEquals(1, t.response().getTopologyVersion());
  }

  @Test
  void identicalRegistrationChangesNothing() {
    Topology t = with(node("a", "g"));
    Transition<RegisterNodeResponse> again = TopologyTransitions.register(t, node("a", "g"), NOW + 5);
    assertFalse(again.changes());
    assertTrue(again.response().getAlreadyRegistered());
    assertEquals(1, again.response().getTopologyVersion());
  }

  @Test
  void newAddressKeepsStateAndRegistrationTime() {
    Topology t = with(node("a", "g"));
    NodeInfo moved = node("a", "g").toBuilder().setAddress("10.0.0.2").putLabels("z", "1").build();
    Transition<RegisterNodeResponse> u = TopologyTransitions.register(t, moved, NOW + 5);
    NodeInfo updated = u.updates().get(0).getNodeUpdated();
    assertEquals("10.0.0.2", updated.getAddress());
    assertEquals("1", updated.getLabelsOrThrow("z"));
    assertEquals(NOW, updated.getRegisteredAt());
    assertTrue(u.response().getAlreadyRegistered());
  }

  @Test
  void newGenerationIsARestart() {
    Topology t = with(node("a", "g1"));
    Transition<RegisterNodeResponse> u = TopologyTransitions.register(t, node("a", "g2"), NOW + 9);
    NodeInfo replaced = u.updates().get(0).getNodeUpdated();
    assertEquals("g2", replaced.getGenerationId());
    assertEquals(NodeState.NODE_STATE_JOINING, replaced.getState());
    assertEquals(NOW + 9, replaced.getRegisteredAt());
    assertEquals(2, u.response().getTopologyVersion());
  }

  @Test
  void anotherTypeConflicts() {
    Topology t = with(node("a", "g"));
    NodeInfo frontend = node("a", "g").toBuilder().setType(NodeType.NODE_TYPE_FRONTEND).build();
    assertThrows(TypeConflictException.class, () -> TopologyTransitions.register(t, frontend, NOW));
  }

  @Test
  void deregisterRemovesOrAnswersCurrentVersion() {
    Topology t = with(node("a", "g"), node("b", "g"));
    Transition<DeregisterNodeResponse> gone = TopologyTransitions.deregister(t,
        DeregisterNodeRequest.newBuilder().setNodeId("a").build());
    assertEquals("a", gone.updates().get(0).getNodeRemoved());
    assertEquals(3, gone.response().getTopologyVersion());
    assertTrue(after(t, gone).node("a").isEmpty());

    Transition<DeregisterNodeResponse> unknown = TopologyTransitions.deregister(t,
        DeregisterNodeRequest.newBuilder().setNodeId("zzz").build());
    assertFalse(unknown.changes());
    assertEquals(2, unknown.response().getTopologyVersion());
  }

  @Test
  void deregisterChecksAGivenGeneration() {
    Topology t = with(node("a", "g2"));
    assertThrows(GenerationMismatchException.class, () -> TopologyTransitions.deregister(t,
        DeregisterNodeRequest.newBuilder().setNodeId("a").setGenerationId("g1").build()));
    assertTrue(TopologyTransitions.deregister(t, DeregisterNodeRequest.newBuilder()
        .setNodeId("a").setGenerationId("g2").build()).changes());
  }
}
