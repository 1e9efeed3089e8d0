package io.gitstratum.coordinator.client.errors;

import io.grpc.Status;
import java.util.Set;

/**
 * What may fix a failed call, decided from its status code and the facade's ErrorInfo reason
 * (docs/ERRORS.md), never from message text. Pure.
 *
 * <pre>
 * ANOTHER_REPLICA  the answering replica cannot serve, another may: no reason (a broken or
 *                  refused connection), DEADLINE_EXCEEDED, REPLICA_NOT_READY, SHUTTING_DOWN,
 *                  REPLICA_OVERLOADED, STREAM_STALLED; RESOURCE_EXHAUSTED with scope
 *                  "replica" (RATE_LIMITED, WATCHER_LIMIT)
 * SAME_LATER       the cause is shared by every replica (the one etcd behind them, or this
 *                  caller's own rate): ETCD_UNAVAILABLE, WRITE_QUEUE_FULL, WRITE_CONTENTION,
 *                  any other UNAVAILABLE reason; RESOURCE_EXHAUSTED with scope "client"
 * NONE             repeating the request cannot help: every other code, and RESOURCE_EXHAUSTED
 *                  without a facade reason (a message over a size limit)
 * </pre>
 */
public enum Remedy {
  /** Retry, on another replica: the client moves off this one and its circuit breaker counts. */
  ANOTHER_REPLICA,
  /** Retry after a wait, wherever the client is: moving would only carry the load elsewhere. */
  SAME_LATER,
  /** Do not retry. */
  NONE;

  /** The facade's reasons that name a fault of one replica (UNAVAILABLE). */
  private static final Set<String> REPLICA_REASONS = Set.of(
      "REPLICA_NOT_READY", "SHUTTING_DOWN", "REPLICA_OVERLOADED", "STREAM_STALLED");

  /** The remedy of {@code error}. */
  public static Remedy of(CoordinatorClientException error) {
    Status.Code code = error.code();
    String reason = error.reason();
    return switch (code) {
      case DEADLINE_EXCEEDED -> ANOTHER_REPLICA;
      case UNAVAILABLE -> reason.isEmpty() || REPLICA_REASONS.contains(reason)
          ? ANOTHER_REPLICA : SAME_LATER;
      case RESOURCE_EXHAUSTED -> {
        if (reason.isEmpty()) {
          yield NONE;
        }
        yield "replica".equals(error.details().metadata().get("scope"))
            ? ANOTHER_REPLICA : SAME_LATER;
      }
      default -> NONE;
    };
  }
}
