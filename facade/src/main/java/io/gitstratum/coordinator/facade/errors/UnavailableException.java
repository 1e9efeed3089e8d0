package io.gitstratum.coordinator.facade.errors;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The request could not be served right now; it is safe to retry, here or on another replica.
 * The reason says why: etcd failed or was too slow ({@link ErrorReason#ETCD_UNAVAILABLE}, the
 * default), this replica's cache does not follow etcd, the replica is shutting down, or the
 * topology changed too fast for a write to commit.
 */
public final class UnavailableException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private static final Set<ErrorReason> REASONS = EnumSet.of(ErrorReason.ETCD_UNAVAILABLE,
      ErrorReason.REPLICA_NOT_READY, ErrorReason.SHUTTING_DOWN, ErrorReason.WRITE_CONTENTION,
      ErrorReason.WRITE_QUEUE_FULL, ErrorReason.REPLICA_OVERLOADED, ErrorReason.STREAM_STALLED);

  private final Duration retryDelay;
  private final Map<String, String> metadata;

  /** etcd could not be reached or did not answer within its deadline. */
  public UnavailableException(String message, Throwable cause) {
    this(ErrorReason.ETCD_UNAVAILABLE, message, cause);
  }

  public UnavailableException(ErrorReason reason, String message, Throwable cause) {
    this(reason, message, cause, null, Map.of());
  }

  private UnavailableException(ErrorReason reason, String message, Throwable cause,
      Duration retryDelay, Map<String, String> metadata) {
    super(reason, message, cause);
    if (!REASONS.contains(reason)) {
      throw new IllegalArgumentException(reason + " is not an unavailability");
    }
    this.retryDelay = retryDelay;
    this.metadata = metadata;
  }

  /** The write queue holds {@code queued} commands already: shed this one early. */
  public static UnavailableException writeQueueFull(int queued) {
    return new UnavailableException(ErrorReason.WRITE_QUEUE_FULL, "this replica has " + queued
        + " writes waiting for etcd; retry in a second or on another replica", null,
        Duration.ofSeconds(1), Map.of("queued", Integer.toString(queued)));
  }

  /**
   * A heartbeat refused because the lease renewals ahead of it have waited {@code waited} for
   * etcd already: shed early so that the ones accepted stay fast.
   */
  public static UnavailableException overloaded(Duration waited, Duration retryDelay) {
    return new UnavailableException(ErrorReason.REPLICA_OVERLOADED, "this replica's lease "
        + "renewals wait " + waited.toMillis() + " ms for etcd already; retry in "
        + retryDelay.toMillis() + " ms or on another replica", null, retryDelay,
        Map.of("waitedMs", Long.toString(waited.toMillis())));
  }

  /** A stream that has not taken its full_sync for {@code held}: its client does not read. */
  public static UnavailableException streamStalled(Duration held) {
    return new UnavailableException(ErrorReason.STREAM_STALLED, "this stream did not take its "
        + "full_sync within " + held.toMillis() + " ms; reconnect with since_version", null);
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public Optional<Duration> retryDelay() {
    return Optional.ofNullable(retryDelay);
  }

  public static UnavailableException notReady(String message) {
    return new UnavailableException(ErrorReason.REPLICA_NOT_READY, message, null);
  }

  public static UnavailableException shuttingDown() {
    return new UnavailableException(ErrorReason.SHUTTING_DOWN,
        "this facade replica is shutting down; use another replica", null);
  }
}
