package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * The node is not registered (a Heartbeat for an unknown id, or an operator command naming a node
 * the topology does not hold). A node that gets it should register again.
 *
 * <p>Stands for gRPC status {@code NOT_FOUND}. Immutable.
 */
public final class NodeNotFoundException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public NodeNotFoundException(String message, String endpoint, Throwable cause) {
    super(Status.Code.NOT_FOUND, message, endpoint, cause);
  }

  NodeNotFoundException(String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(Status.Code.NOT_FOUND, message, endpoint, cause, details);
  }
}
