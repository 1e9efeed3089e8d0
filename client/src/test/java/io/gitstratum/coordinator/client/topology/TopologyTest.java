package io.gitstratum.coordinator.client.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import org.junit.jupiter.api.Test;

class TopologyTest {
  private static TopologyUpdate added(long version, String id) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeAdded(NodeInfo.newBuilder().setId(id)).build();
  }

  @Test
  void aBuiltTopologyIsASnapshotOfItsDraft() {
    Topology.Draft draft = Topology.empty().draft().apply(added(1, "a"));
    Topology built = draft.build();
    Topology later = draft.apply(added(2, "b")).build();
    assertEquals(1, built.size());
    assertTrue(built.node("b").isEmpty());
    assertEquals(2, later.size());
    assertEquals(2, later.version());
  }

  @Test
  void countsFollowAddsUpdatesAndRemovals() {
    NodeInfo a = NodeInfo.newBuilder().setId("a").setType(NodeType.NODE_TYPE_OBJECT)
        .setState(NodeState.NODE_STATE_JOINING).build();
    NodeInfo b = a.toBuilder().setId("b").setType(NodeType.NODE_TYPE_FRONTEND).build();
    Topology t = Topology.empty().draft()
        .apply(TopologyUpdate.newBuilder().setVersion(1).setNodeAdded(a).build())
        .apply(TopologyUpdate.newBuilder().setVersion(2).setPreviousVersion(1).setNodeAdded(b)
            .build())
        .apply(TopologyUpdate.newBuilder().setVersion(3).setPreviousVersion(2)
            .setNodeUpdated(a.toBuilder().setState(NodeState.NODE_STATE_SUSPECT)).build())
        .build();
    assertEquals(1, t.count(NodeState.NODE_STATE_JOINING));
    assertEquals(1, t.count(NodeState.NODE_STATE_SUSPECT));
    assertEquals(1, t.count(NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_SUSPECT));
    assertEquals(0, t.count(NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_JOINING));
    Topology removed = t.apply(TopologyUpdate.newBuilder().setVersion(4).setPreviousVersion(3)
        .setNodeRemoved("a").build());
    assertEquals(0, removed.count(NodeState.NODE_STATE_SUSPECT));
    assertEquals(1, removed.count(NodeState.NODE_STATE_JOINING));
    assertEquals(1, t.count(NodeState.NODE_STATE_SUSPECT)); // the older version is untouched
  }

  @Test
  void nodesAreSortedById() {
    Topology t = Topology.empty().draft().apply(added(1, "c")).apply(added(2, "a"))
        .apply(added(3, "b")).build();
    assertEquals(java.util.List.of("a", "b", "c"),
        t.nodes().stream().map(NodeInfo::getId).toList());
  }

  @Test
  void applyLeavesTheOriginalUntouched() {
    Topology one = Topology.empty().apply(added(1, "a"));
    Topology two = one.apply(added(2, "b"));
    assertEquals(1, one.size());
    assertEquals(2, two.size());
    assertThrows(TopologyGapException.class, () -> one.apply(added(3, "c")));
  }
}
