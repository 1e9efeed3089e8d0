package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;

/**
 * A rate limit or the replica's watcher limit was reached (reason {@code RATE_LIMITED} or
 * {@code WATCHER_LIMIT}): retrying later, or on another replica when its scope is
 * {@code replica}, may succeed. Without a reason, a message was over a size limit (the facade's
 * {@code --max-request-bytes} or this channel's receive limit): not retryable ({@link Remedy}).
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
}
