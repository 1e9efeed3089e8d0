package io.gitstratum.coordinator.facade.core;

/**
 * A change to a node's liveness keys that goes into the same transaction as its topology change.
 * Leases are granted by the write path; the core only says which key needs one.
 */
public sealed interface LivenessEffect {
  String nodeId();

  /** Put {@code P/alive/<id>} = generation on a fresh lease of the suspect timeout. */
  record AttachAlive(String nodeId, String generation) implements LivenessEffect {}

  /** Put {@code P/grace/<id>} on a fresh lease of (down − suspect) timeout. */
  record StartGrace(String nodeId) implements LivenessEffect {}

  /** Delete {@code P/grace/<id>}: the node is back. */
  record ClearGrace(String nodeId) implements LivenessEffect {}

  /** Put {@code P/drained/<id>} = generation: the operator's drain outlives SUSPECT and DOWN. */
  record MarkDrained(String nodeId, String generation) implements LivenessEffect {}

  /** Delete {@code P/drained/<id>}: a new generation starts afresh. */
  record ClearDrained(String nodeId) implements LivenessEffect {}

  /** Delete both liveness keys and the drain mark: the node left. */
  record ClearLiveness(String nodeId) implements LivenessEffect {}
}
