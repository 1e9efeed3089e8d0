package io.gitstratum.coordinator.facade.core;

import io.gitstratum.coordinator.proto.NodeType;

/** A node id is already held by a node of another type. */
public final class TypeConflictException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  public TypeConflictException(String nodeId, NodeType registered, NodeType requested) {
    super("node " + nodeId + " is registered as " + registered + ", not " + requested, null);
  }
}
