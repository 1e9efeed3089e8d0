package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * The request broke an input rule; the message names the field and the rule. Repeating it
 * cannot succeed.
 *
 * <p>Stands for gRPC status {@code INVALID_ARGUMENT}. Immutable.
 */
public final class InvalidArgumentException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public InvalidArgumentException(String message, String endpoint, Throwable cause) {
    super(Status.Code.INVALID_ARGUMENT, message, endpoint, cause);
  }

  InvalidArgumentException(String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(Status.Code.INVALID_ARGUMENT, message, endpoint, cause, details);
  }
}
