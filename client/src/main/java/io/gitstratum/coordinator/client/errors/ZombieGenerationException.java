package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * The request's generation id is not the one registered for the node: another process has
 * registered the same node id since, so this process is a zombie and must stop acting as the node.
 *
 * <p>Stands for gRPC status {@code FAILED_PRECONDITION}. Immutable.
 */
public final class ZombieGenerationException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public ZombieGenerationException(String message, String endpoint, Throwable cause) {
    super(Status.Code.FAILED_PRECONDITION, message, endpoint, cause);
  }

  ZombieGenerationException(String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(Status.Code.FAILED_PRECONDITION, message, endpoint, cause, details);
  }
}
