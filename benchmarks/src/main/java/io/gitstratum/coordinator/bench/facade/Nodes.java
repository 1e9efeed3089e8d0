package io.gitstratum.coordinator.bench.facade;

import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;

/** The synthetic nodes of the benchmark: object nodes with generation {@code g-<id>}. */
public final class Nodes {
  private Nodes() {}

  public static NodeInfo node(String id) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.1.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g-" + id)
        .putLabels("zone", "bench-a").build();
  }

  public static RegisterNodeRequest register(String id) {
    return RegisterNodeRequest.newBuilder().setNode(node(id)).build();
  }

  /** A routine heartbeat: the node reports itself serving. */
  public static HeartbeatRequest beat(String id) {
    return HeartbeatRequest.newBuilder().setNodeId(id).setGenerationId("g-" + id)
        .setReportedState(NodeState.NODE_STATE_ACTIVE).build();
  }
}
