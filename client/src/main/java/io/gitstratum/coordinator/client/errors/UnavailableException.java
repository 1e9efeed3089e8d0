package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * No facade answered in time: every endpoint tried was unreachable, answered UNAVAILABLE (etcd
 * unreachable behind it) or missed the call's deadline. Safe to retry: every RPC is idempotent;
 * {@link #remedy()} says whether another replica may help.
 *
 * <p>Stands for gRPC status {@code UNAVAILABLE}; a missed deadline ({@code DEADLINE_EXCEEDED}) is
 * reported as this too, with that code. Immutable.
 */
public final class UnavailableException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public UnavailableException(String message, String endpoint, Throwable cause) {
    this(Status.Code.UNAVAILABLE, message, endpoint, cause, ErrorDetails.NONE);
  }

  /** With the code that led here (UNAVAILABLE or DEADLINE_EXCEEDED) and the facade's details. */
  UnavailableException(Status.Code code, String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(code, message, endpoint, cause, details);
  }
}
