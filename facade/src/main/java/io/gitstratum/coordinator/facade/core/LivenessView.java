package io.gitstratum.coordinator.facade.core;

/** Which liveness keys (and drain marks) exist, as the transitions need to know it. */
public interface LivenessView {
  /** {@code P/alive/<id>} exists (the node's lease has not expired). */
  boolean hasAlive(String nodeId);

  /** {@code P/grace/<id>} exists (a SUSPECT node's grace period is running). */
  boolean hasGrace(String nodeId);

  /** {@code P/drained/<id>} exists (an operator drained the node; it stays DRAINING). */
  boolean isDrained(String nodeId);
}
