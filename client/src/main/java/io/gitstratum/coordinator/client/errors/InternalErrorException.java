package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * Any other failure: INTERNAL (a bug in the facade, never bad input), or a status the contract
 * does not use (UNKNOWN, UNIMPLEMENTED, CANCELLED by the server, ...). {@link #code()} tells
 * which. Not retried: repeating a request that hit a bug rarely helps. Immutable.
 */
public final class InternalErrorException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public InternalErrorException(Status.Code code, String message, String endpoint,
      Throwable cause) {
    this(code, message, endpoint, cause, ErrorDetails.NONE);
  }

  InternalErrorException(Status.Code code, String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(code, message, endpoint, cause, details);
  }
}
