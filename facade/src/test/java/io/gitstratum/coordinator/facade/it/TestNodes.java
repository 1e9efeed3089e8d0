package io.gitstratum.coordinator.facade.it;

import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;

/** Nodes and heartbeats as the tests send them: generation {@code g-<id>}. */
public final class TestNodes {
  private TestNodes() {}

  public static NodeInfo node(String id) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g-" + id).build();
  }

  public static HeartbeatRequest beat(String id, NodeState reported) {
    return HeartbeatRequest.newBuilder().setNodeId(id).setGenerationId("g-" + id)
        .setReportedState(reported).build();
  }
}
