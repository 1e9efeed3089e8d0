package io.gitstratum.coordinator.facade.errors;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A limit on open WatchTopology streams was reached: the caller's own ({@code scope = "client"})
 * or the replica's ({@code scope = "replica"}).
 *
 * @see ErrorReason#WATCHER_LIMIT
 */
public final class WatcherLimitException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  /** Streams end when clients go away; waiting about this long usually frees one. */
  public static final Duration RETRY_DELAY = Duration.ofSeconds(5);

  private final String scope;
  private final int limit;

  public WatcherLimitException(String scope, int limit) {
    super(ErrorReason.WATCHER_LIMIT, "watch stream limit reached: at most " + limit
        + " open streams per " + scope + "; close one, use another replica or retry later", null);
    this.scope = scope;
    this.limit = limit;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("scope", scope, "limitStreams", Integer.toString(limit));
  }

  @Override
  public Optional<Duration> retryDelay() {
    return Optional.of(RETRY_DELAY);
  }
}
