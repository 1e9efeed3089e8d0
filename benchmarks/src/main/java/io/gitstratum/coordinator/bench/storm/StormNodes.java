package io.gitstratum.coordinator.bench.storm;

import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import java.util.List;

/**
 * The nodes of a storm: object nodes {@code <prefix>-<i>} with four labels (zone, rack, disk,
 * pool) spread over {@link #ZONES}, generation {@code g1}, as a production fleet would register.
 */
final class StormNodes {
  static final List<String> ZONES = List.of("a", "b", "c");
  static final String GENERATION = "g1";

  private final String prefix;

  StormNodes(String prefix) {
    this.prefix = prefix;
  }

  String id(int i) {
    return prefix + "-" + i;
  }

  static String zoneOf(int i) {
    return ZONES.get(i % ZONES.size());
  }

  NodeInfo node(int i) {
    return NodeInfo.newBuilder().setId(id(i)).setAddress("10." + (i / 62_500) + "."
            + (i / 250 % 250) + "." + (i % 250))
        .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(GENERATION)
        .putLabels("zone", zoneOf(i)).putLabels("rack", "r" + (i % 40))
        .putLabels("disk", "nvme").putLabels("pool", "p" + (i % 7)).build();
  }

  RegisterNodeRequest register(int i) {
    return RegisterNodeRequest.newBuilder().setNode(node(i)).build();
  }

  HeartbeatRequest beat(int i) {
    return HeartbeatRequest.newBuilder().setNodeId(id(i)).setGenerationId(GENERATION).build();
  }

  DeregisterNodeRequest deregister(int i) {
    return DeregisterNodeRequest.newBuilder().setNodeId(id(i)).build();
  }
}
