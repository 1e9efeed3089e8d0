package io.gitstratum.coordinator.facade.server;

import io.gitstratum.coordinator.facade.core.CoordinatorException;
import io.gitstratum.coordinator.facade.core.GenerationMismatchException;
import io.gitstratum.coordinator.facade.core.InvalidArgumentException;
import io.gitstratum.coordinator.facade.core.NodeNotFoundException;
import io.gitstratum.coordinator.facade.core.ResourceExhaustedException;
import io.gitstratum.coordinator.facade.core.TypeConflictException;
import io.gitstratum.coordinator.facade.core.UnavailableException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where the facade's errors become gRPC statuses (CONTRACT.md, Errors). */
final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  private StatusMapper() {}

  static Status toStatus(Throwable error) {
    if (error instanceof CoordinatorException) {
      return codeOf((CoordinatorException) error).withDescription(error.getMessage());
    }
    return Status.INTERNAL.withDescription("internal error: " + error);
  }

  private static Status codeOf(CoordinatorException e) {
    if (e instanceof InvalidArgumentException) {
      return Status.INVALID_ARGUMENT;
    } else if (e instanceof NodeNotFoundException) {
      return Status.NOT_FOUND;
    } else if (e instanceof GenerationMismatchException) {
      return Status.FAILED_PRECONDITION;
    } else if (e instanceof TypeConflictException) {
      return Status.ALREADY_EXISTS;
    } else if (e instanceof ResourceExhaustedException) {
      return Status.RESOURCE_EXHAUSTED;
    } else if (e instanceof UnavailableException) {
      return Status.UNAVAILABLE;
    }
    return Status.INTERNAL; // a new subclass without a mapping is a bug
  }

  /** Runs a unary handler and answers with its result or its mapped error. */
  static <T> void respond(String rpc, StreamObserver<T> observer, Supplier<T> handler) {
    T response;
    try {
      response = handler.get();
    } catch (RuntimeException e) {
      Status status = toStatus(e);
      if (status.getCode() == Status.Code.INTERNAL) {
        log.error("{} failed with an internal error", rpc, e);
      } else if (status.getCode() == Status.Code.UNAVAILABLE) {
        log.warn("{} unavailable: {}", rpc, e.getMessage());
      }
      observer.onError(new StatusRuntimeException(status));
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }
}
