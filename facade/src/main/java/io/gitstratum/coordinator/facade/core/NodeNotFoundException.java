package io.gitstratum.coordinator.facade.core;

/** The node is not registered; it should register again. */
public final class NodeNotFoundException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  public NodeNotFoundException(String nodeId) {
    super("node " + nodeId + " is not registered; register it again", null);
  }
}
