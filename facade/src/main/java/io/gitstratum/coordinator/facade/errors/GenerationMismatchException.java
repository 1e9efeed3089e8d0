package io.gitstratum.coordinator.facade.errors;

import java.util.Map;

/**
 * The request's generation id is not the registered one: it comes from a replaced (zombie)
 * process.
 */
public final class GenerationMismatchException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;

  public GenerationMismatchException(String nodeId, String registered, String requested) {
    this(nodeId, "node " + nodeId + " is registered with generation '" + registered
        + "', the request carries '" + requested + "': another process owns this id");
  }

  private GenerationMismatchException(String nodeId, String message) {
    super(ErrorReason.GENERATION_MISMATCH, message, null);
    this.nodeId = nodeId;
  }

  /** A heartbeat of a generation an operator confirmed DOWN: that process must not come back. */
  public static GenerationMismatchException confirmedDown(String nodeId, String generation) {
    return new GenerationMismatchException(nodeId, "node " + nodeId + " generation '"
        + generation + "' was confirmed DOWN by an operator: register again with a new "
        + "generation (as after a restart)");
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId);
  }
}
