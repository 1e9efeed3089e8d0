package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * RegisterNode with an id that a node of another type holds.
 *
 * <p>Stands for gRPC status {@code ALREADY_EXISTS}. Immutable.
 */
public final class TypeConflictException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public TypeConflictException(String message, String endpoint, Throwable cause) {
    super(Status.Code.ALREADY_EXISTS, message, endpoint, cause);
  }

  TypeConflictException(String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(Status.Code.ALREADY_EXISTS, message, endpoint, cause, details);
  }
}
