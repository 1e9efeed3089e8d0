package io.gitstratum.coordinator.facade.errors;

import java.util.Map;

/** The node is not registered; it should register again. */
public final class NodeNotFoundException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;

  public NodeNotFoundException(String nodeId) {
    super(ErrorReason.NODE_NOT_FOUND, "node " + nodeId + " is not registered; register it again",
        null);
    this.nodeId = nodeId;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId);
  }
}
