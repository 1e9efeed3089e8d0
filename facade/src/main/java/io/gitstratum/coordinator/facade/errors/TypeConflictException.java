package io.gitstratum.coordinator.facade.errors;

import io.gitstratum.coordinator.proto.NodeType;
import java.util.Map;

/** A node id is already held by a node of another type. */
public final class TypeConflictException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;
  private final NodeType registered;

  public TypeConflictException(String nodeId, NodeType registered, NodeType requested) {
    super(ErrorReason.TYPE_CONFLICT,
        "node " + nodeId + " is registered as " + registered + ", not " + requested, null);
    this.nodeId = nodeId;
    this.registered = registered;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId, "registeredType", registered.name());
  }
}
