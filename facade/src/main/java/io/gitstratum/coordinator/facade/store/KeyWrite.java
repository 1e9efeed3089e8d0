package io.gitstratum.coordinator.facade.store;

/** A liveness key written beside a topology change, in the same transaction. */
public sealed interface KeyWrite {
  String nodeId();

  /** {@code P/alive/<id>} = generation, attached to {@code lease}. */
  record PutAlive(String nodeId, String generation, long lease) implements KeyWrite {}

  /** {@code P/grace/<id>}, attached to {@code lease}. */
  record PutGrace(String nodeId, long lease) implements KeyWrite {}

  /** {@code P/drained/<id>} = generation, no lease. */
  record PutDrained(String nodeId, String generation) implements KeyWrite {}

  record DeleteDrained(String nodeId) implements KeyWrite {}

  record DeleteAlive(String nodeId) implements KeyWrite {}

  record DeleteGrace(String nodeId) implements KeyWrite {}
}
