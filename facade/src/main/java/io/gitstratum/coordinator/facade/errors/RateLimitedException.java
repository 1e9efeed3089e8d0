package io.gitstratum.coordinator.facade.errors;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A request rate limit was reached, either the caller's own ({@code scope = "client"}) or the
 * replica's for everyone ({@code scope = "replica"}).
 *
 * @see ErrorReason#RATE_LIMITED
 */
public final class RateLimitedException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String scope;
  private final String category;
  private final int perSecond;
  private final Duration retryDelay;

  /**
   * @param scope {@code client} or {@code replica}
   * @param category the limited kind of request: {@code registrations}, {@code heartbeats} or
   *     {@code reads}
   * @param perSecond the limit that was reached
   * @param retryDelay when a permit is expected to be free again
   */
  public RateLimitedException(String scope, String category, int perSecond, Duration retryDelay) {
    super(ErrorReason.RATE_LIMITED, "rate limit reached: at most " + perSecond + " " + category
        + " per second per " + scope + "; retry after " + retryDelay.toMillis() + " ms", null);
    this.scope = scope;
    this.category = category;
    this.perSecond = perSecond;
    this.retryDelay = retryDelay;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("scope", scope, "category", category, "limitPerSecond",
        Integer.toString(perSecond));
  }

  @Override
  public Optional<Duration> retryDelay() {
    return Optional.of(retryDelay);
  }
}
