package io.gitstratum.coordinator.facade.errors;

import io.gitstratum.coordinator.proto.NodeState;
import java.util.Map;

/** An operator's action that the node's current state does not allow; nothing was written. */
public final class NodeStateException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;
  private final NodeState state;

  public NodeStateException(String nodeId, NodeState state, String rule) {
    // The message in the words coordctl prints (DRAINING); the metadata keeps the enum's name.
    this("node " + nodeId + " is " + state.name().replace("NODE_STATE_", "") + ": " + rule,
        nodeId, state);
  }

  private NodeStateException(String message, String nodeId, NodeState state) {
    super(ErrorReason.NODE_STATE, message, null);
    this.nodeId = nodeId;
    this.state = state;
  }

  /**
   * gitstratum's legacy SetNodeState asked for a state that neither the node's heartbeat nor an
   * operator may set; {@code state} in the metadata is the one asked for.
   */
  public static NodeStateException notSettable(String nodeId, NodeState requested) {
    return new NodeStateException("SetNodeState cannot set node " + nodeId
        + " " + requested + ": states change through Heartbeat (reported_state ACTIVE or "
        + "DRAINING) and the admin service gitstratum.admin.CoordinatorAdmin (DrainNode, "
        + "ConfirmDown); the detector alone sets SUSPECT", nodeId, requested);
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId, "state", state.name());
  }
}
