package io.gitstratum.coordinator.facade.errors;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The facade's error model: every failure a caller should see is one of these subclasses, each
 * with a stable {@link ErrorReason} and the facts a client may act on. {@code server.StatusMapper}
 * turns each into its gRPC status with typed details in one place.
 */
public abstract sealed class CoordinatorException extends RuntimeException
    permits InvalidArgumentException, MalformedRequestException, NodeNotFoundException,
    NodeStateException,
        GenerationMismatchException, TypeConflictException, RateLimitedException,
        WatcherLimitException, PermissionDeniedException, UnauthenticatedException,
        UnavailableException {
  private static final long serialVersionUID = 1L;

  private final ErrorReason reason;

  protected CoordinatorException(ErrorReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public ErrorReason reason() {
    return reason;
  }

  /**
   * Facts a client may act on, sent as {@code ErrorInfo.metadata}: lowerCamelCase keys,
   * documented per reason in docs/ERRORS.md. Never secrets.
   */
  public Map<String, String> metadata() {
    return Map.of();
  }

  /** How long the client should wait before trying again, when this error says so. */
  public Optional<Duration> retryDelay() {
    return Optional.empty();
  }
}
