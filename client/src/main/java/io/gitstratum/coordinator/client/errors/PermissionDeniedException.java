package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * The facade refused the caller: with mutual TLS, a request acting on a node other than the one
 * the client certificate names (PERMISSION_DENIED), or a certificate it no longer accepts
 * (UNAUTHENTICATED). A deployment error: repeating the request cannot succeed. {@link #code()}
 * tells which. Immutable.
 */
public final class PermissionDeniedException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public PermissionDeniedException(Status.Code code, String message, String endpoint,
      Throwable cause) {
    this(code, message, endpoint, cause, ErrorDetails.NONE);
  }

  PermissionDeniedException(Status.Code code, String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(code, message, endpoint, cause, details);
  }
}
