package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * An operator's action that the node's state does not allow (reason {@code NODE_STATE}): confirm
 * DOWN a node that is not SUSPECT, drain a DOWN node. Nothing was written; not retryable as is.
 *
 * <p>Stands for gRPC status {@code FAILED_PRECONDITION} with that reason. Immutable.
 */
public final class NodeStateException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  NodeStateException(String message, String endpoint, Throwable cause, ErrorDetails details) {
    super(Status.Code.FAILED_PRECONDITION, message, endpoint, cause, details);
  }
}
