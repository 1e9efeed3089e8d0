package io.gitstratum.coordinator.facade.errors;

import io.gitstratum.coordinator.proto.NodeState;
import java.util.Map;

/** An operator's action that the node's current state does not allow; nothing was written. */
public final class NodeStateException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;
  private final NodeState state;

  public NodeStateException(String nodeId, NodeState state, String rule) {
    super(ErrorReason.NODE_STATE, "node " + nodeId + " is " + state + ": " + rule, null);
    this.nodeId = nodeId;
    this.state = state;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId, "state", state.name());
  }
}
