package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Base of every error the client library raises for a failed coordinator call. Each subclass
 * stands for one gRPC status code of the contract (CONTRACT.md, section "Errors"); the
 * translation lives only in {@link ClientErrors}.
 *
 * <p>Unchecked: a caller handles the cases it can act on ({@link NodeNotFoundException} means
 * "register again", {@link UnavailableException} means "retry later") and lets the others
 * propagate. Immutable.
 */
public abstract class CoordinatorClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String endpoint;
  private final ErrorDetails details;

  /**
   * @param code the gRPC status code this error stands for
   * @param message what went wrong, including the server's description when there is one
   * @param endpoint the facade endpoint ({@code host:port}) that answered, or "" when none did
   * @param cause the underlying gRPC or transport error; may be null
   */
  protected CoordinatorClientException(Status.Code code, String message, String endpoint,
      Throwable cause) {
    this(code, message, endpoint, cause, ErrorDetails.NONE);
  }

  /** As above, with the error details the facade sent. */
  protected CoordinatorClientException(Status.Code code, String message, String endpoint,
      Throwable cause, ErrorDetails details) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.endpoint = endpoint == null ? "" : endpoint;
    this.details = Objects.requireNonNull(details, "details");
  }

  /** The gRPC status code of the failed call. */
  public Status.Code code() {
    return code;
  }

  /** The endpoint that answered ({@code host:port}), or "" when no endpoint was reached. */
  public String endpoint() {
    return endpoint;
  }

  /** The facade's ErrorInfo and RetryInfo; {@link ErrorDetails#NONE} when it sent none. */
  public ErrorDetails details() {
    return details;
  }

  /** The facade's stable reason, e.g. {@code NODE_NOT_FOUND}, or "" when it named none. */
  public String reason() {
    return details.reason();
  }

  /** How long the facade asked the client to wait before retrying, if it did. */
  public Optional<Duration> retryDelay() {
    return details.retryDelay();
  }

  /**
   * Whether repeating the same request later may succeed: UNAVAILABLE, DEADLINE_EXCEEDED, and
   * RESOURCE_EXHAUSTED from a facade limit (not a message too large). See {@link Remedy}.
   */
  public boolean isRetryable() {
    return remedy() != Remedy.NONE;
  }

  /** What may fix this failure: another replica, the same call later, or nothing. */
  public Remedy remedy() {
    return Remedy.of(this);
  }
}
