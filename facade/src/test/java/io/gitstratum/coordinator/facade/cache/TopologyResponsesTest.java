package io.gitstratum.coordinator.facade.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TopologyResponsesTest {
  @Test
  void everyCallerOfOneTopologyAndLeaderGetsTheSameMessage() {
    AtomicReference<String> leader = new AtomicReference<>("replica-a");
    TopologyResponses responses = new TopologyResponses(leader::get);
    Topology v1 = Topology.empty().apply(TopologyUpdate.newBuilder().setVersion(1)
        .setNodeAdded(NodeInfo.newBuilder().setId("n").setType(NodeType.NODE_TYPE_OBJECT))
        .build());

    GetTopologyResponse first = responses.of(v1);
    assertSame(first, responses.of(v1), "shared, not rebuilt per stream");
    assertEquals(1, first.getObjectNodesCount());
    assertEquals("replica-a", first.getLeaderId());

    leader.set("replica-b");
    GetTopologyResponse newLeader = responses.of(v1);
    assertEquals("replica-b", newLeader.getLeaderId());
    assertNotSame(first, responses.of(Topology.empty()));
  }
}
