package io.gitstratum.coordinator.facade.errors;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.gitstratum.coordinator.facade.metrics.LogThrottle;
import io.gitstratum.coordinator.schema.codec.CorruptRecordException;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the facade's errors become gRPC statuses (CONTRACT.md, Errors;
 * docs/ERRORS.md). Every status carries a {@code google.rpc.ErrorInfo} in domain
 * {@value #DOMAIN} with the error's stable reason and metadata, plus a
 * {@code google.rpc.RetryInfo} when the error names a retry delay; clients read these from the
 * {@code grpc-status-details-bin} trailer and never parse the message. Stateless, thread-safe.
 */
public final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  /** {@code ErrorInfo.domain} of every facade error. */
  public static final String DOMAIN = "gitstratum.io";

  /** One line per RPC and reason every 10 s: etcd trouble fails every request alike. */
  private static final LogThrottle WARNINGS = new LogThrottle(Duration.ofSeconds(10));

  private StatusMapper() {}

  /**
   * A request refused at once because the replica is past its capacity: counted by a metric and
   * summarised by the component that sheds, never one log line each (that would add load
   * exactly when there is too much).
   */
  private static boolean shed(Throwable error) {
    return error instanceof CoordinatorException e
        && (e.reason() == ErrorReason.REPLICA_OVERLOADED
            || e.reason() == ErrorReason.WRITE_QUEUE_FULL);
  }

  /** The gRPC status code a reason is sent with; exhaustive, so a new reason needs a code. */
  public static Status.Code codeOf(ErrorReason reason) {
    return switch (reason) {
      case INVALID_FIELD, MALFORMED_REQUEST -> Status.Code.INVALID_ARGUMENT;
      case NODE_NOT_FOUND -> Status.Code.NOT_FOUND;
      case GENERATION_MISMATCH, NODE_STATE -> Status.Code.FAILED_PRECONDITION;
      case TYPE_CONFLICT -> Status.Code.ALREADY_EXISTS;
      case RATE_LIMITED, WATCHER_LIMIT -> Status.Code.RESOURCE_EXHAUSTED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case CERTIFICATE_REVOKED, CERTIFICATE_REQUIRED -> Status.Code.UNAUTHENTICATED;
      case ETCD_UNAVAILABLE, REPLICA_NOT_READY, SHUTTING_DOWN, WRITE_CONTENTION,
          WRITE_QUEUE_FULL, REPLICA_OVERLOADED, STREAM_STALLED -> Status.Code.UNAVAILABLE;
      case CORRUPT_RECORD, INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /**
   * The status exception (code, message and detail trailers) that reports {@code error}.
   * Anything that is not a coordinator exception is a bug: INTERNAL, without its message (which
   * may describe internals); the caller logs it.
   */
  public static StatusRuntimeException toException(Throwable error) {
    if (error instanceof CoordinatorException e) {
      return build(e.reason(), e.getMessage(), e.metadata(), e.retryDelay());
    }
    if (error instanceof CorruptRecordException e) {
      return build(ErrorReason.CORRUPT_RECORD, "a record in etcd cannot be decoded; an operator "
          + "must repair key " + e.key(), Map.of("key", e.key()), Optional.empty());
    }
    return build(ErrorReason.INTERNAL, "internal error (" + error.getClass().getSimpleName()
        + "); the facade logged it", Map.of(), Optional.empty());
  }

  private static StatusRuntimeException build(ErrorReason reason, String message,
      Map<String, String> metadata, Optional<Duration> retryDelay) {
    Status.Code code = codeOf(reason);
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(message == null ? "" : message)
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setDomain(DOMAIN)
            .setReason(reason.name())
            .putAllMetadata(metadata)
            .build()));
    retryDelay.ifPresent(delay -> status.addDetails(Any.pack(RetryInfo.newBuilder()
        .setRetryDelay(com.google.protobuf.Duration.newBuilder()
            .setSeconds(delay.getSeconds())
            .setNanos(delay.getNano()))
        .build())));
    return StatusProto.toStatusRuntimeException(status.build());
  }

  /**
   * Reports {@code error} on {@code observer}, logging what an operator should see: bugs and
   * corrupt records at ERROR with the stack, unavailability at WARN.
   */
  public static void fail(String rpc, StreamObserver<?> observer, Throwable error) {
    StatusRuntimeException status = toException(error);
    Status.Code code = status.getStatus().getCode();
    if (code == Status.Code.INTERNAL) {
      log.error("{} failed with an internal error", rpc, error);
    } else if (code == Status.Code.UNAVAILABLE && !shed(error)) {
      String reason = error instanceof CoordinatorException e ? e.reason().name() : "";
      WARNINGS.log(rpc + " " + reason, held -> log.warn("{} unavailable: {}{}", rpc,
          error.getMessage(), LogThrottle.heldBack(held)));
    }
    observer.onError(status);
  }

  /** Runs a unary handler and answers with its result or its mapped error. */
  public static <T> void respond(String rpc, StreamObserver<T> observer, Supplier<T> handler) {
    T response;
    try {
      response = handler.get();
    } catch (RuntimeException e) {
      fail(rpc, observer, e);
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  /**
   * As {@link #respond}, for a handler that answers later without holding a thread. When the
   * caller goes away first (cancels, or its deadline passes), the answer is cancelled, so work
   * that has not started yet (a write still queued) is dropped.
   */
  public static <T> void respondAsync(String rpc, StreamObserver<T> observer,
      Supplier<CompletableFuture<T>> handler) {
    if (Context.current().isCancelled()) {
      // The caller gave up (its deadline passed, or it cancelled) before the call was handled:
      // no etcd request on behalf of nobody.
      return;
    }
    CompletableFuture<T> response;
    try {
      response = handler.get();
    } catch (RuntimeException e) {
      fail(rpc, observer, e);
      return;
    }
    Context.current().addListener(context -> response.cancel(false), Runnable::run);
    response.whenComplete((value, error) -> {
      if (response.isCancelled()) {
        return; // the caller is gone: nobody to answer
      }
      if (error != null) {
        fail(rpc, observer, Completions.cause(error));
      } else {
        observer.onNext(value);
        observer.onCompleted();
      }
    });
  }
}
