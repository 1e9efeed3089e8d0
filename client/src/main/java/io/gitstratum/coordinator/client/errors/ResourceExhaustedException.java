package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * A rate limit or the replica's watcher limit was reached; retrying later, or on another
 * replica, may succeed.
 *
 * <p>Stands for gRPC status {@code RESOURCE_EXHAUSTED}. Immutable.
 */
public final class ResourceExhaustedException extends CoordinatorClientException {
  private static final long serialVersionUID = 1L;

  /** See {@link CoordinatorClientException#CoordinatorClientException}. */
  public ResourceExhaustedException(String message, String endpoint, Throwable cause) {
    super(Status.Code.RESOURCE_EXHAUSTED, message, endpoint, cause);
  }

  ResourceExhaustedException(String message, String endpoint, Throwable cause,
      ErrorDetails details) {
    super(Status.Code.RESOURCE_EXHAUSTED, message, endpoint, cause, details);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
