package io.gitstratum.coordinator.client.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import org.junit.jupiter.api.Test;

class TopologyTest {
  private static TopologyUpdate added(long version, String id) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeAdded(NodeInfo.newBuilder().setId(id)).build();
  }

  @Test
  void aBuiltDraftCannotChangeTheTopologyItGaveAway() {
    Topology.Draft draft = Topology.empty().draft().apply(added(1, "a"));
    Topology built = draft.build();
    assertThrows(IllegalStateException.class, () -> draft.apply(added(2, "b")));
    assertThrows(IllegalStateException.class, draft::build);
    assertEquals(1, built.size());
    assertTrue(built.node("b").isEmpty());
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
