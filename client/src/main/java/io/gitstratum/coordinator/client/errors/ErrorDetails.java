package io.gitstratum.coordinator.client.errors;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The machine-readable part of a facade error, from the {@code grpc-status-details-bin} trailer:
 * a {@code google.rpc.ErrorInfo} in domain {@value #DOMAIN} (a stable reason such as
 * {@code NODE_NOT_FOUND} or {@code RATE_LIMITED}, and its metadata) and a
 * {@code google.rpc.RetryInfo} when the facade asks the client to wait. Decide on these (and the
 * status code), never on message text. Empty for statuses made by gRPC itself or by older
 * facades. Immutable.
 *
 * @param reason the ErrorInfo reason, or "" when there was none
 * @param metadata the ErrorInfo metadata (unmodifiable)
 * @param retryDelay how long the facade asked the client to wait, if it did
 */
public record ErrorDetails(String reason, Map<String, String> metadata,
    Optional<Duration> retryDelay) {

  /** The ErrorInfo domain of the facade's errors. */
  public static final String DOMAIN = "gitstratum.io";

  public static final ErrorDetails NONE = new ErrorDetails("", Map.of(), Optional.empty());

  public ErrorDetails {
    Objects.requireNonNull(reason, "reason");
    metadata = Map.copyOf(metadata);
    Objects.requireNonNull(retryDelay, "retryDelay");
  }
}
