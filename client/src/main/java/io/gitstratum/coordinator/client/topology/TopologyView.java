package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.util.Optional;

/** Read access to a topology at one version; what a transition needs to decide. */
public interface TopologyView {
  long version();

  Optional<NodeInfo> node(String nodeId);

  HashRingConfig ringConfig();
}
