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
    super(ErrorReason.GENERATION_MISMATCH, "node " + nodeId + " is registered with generation '"
        + registered + "', the request carries '" + requested + "': another process owns this id",
        null);
    this.nodeId = nodeId;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId);
  }
}
