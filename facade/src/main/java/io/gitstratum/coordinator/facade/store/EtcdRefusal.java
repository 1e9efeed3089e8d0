package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.util.Locale;
import java.util.Optional;

/**
 * What an etcd error means for a write whose answer it is: refused (etcd checked the request
 * and applied nothing, so the outcome is known) or ambiguous (the request may have been applied:
 * a deadline, a broken connection, a leader change, etcd's own "request timed out"). A refusal
 * for the request's size is split by the writer and retried at once; any other refusal fails
 * its callers with a known outcome. Pure.
 */
public enum EtcdRefusal {
  /** etcd's {@code --max-txn-ops} exceeded. */
  TOO_MANY_OPS,
  /** etcd's {@code --max-request-bytes} (or gRPC's message size) exceeded. */
  TOO_LARGE,
  /** A pooled lease expired before the commit: granting fresh ones may succeed. */
  LEASE_NOT_FOUND,
  /** Any other refusal: no space, too many requests, permission, authentication, bad request. */
  REFUSED;

  /** Whether the transaction was refused for its size: splitting it can succeed. */
  public boolean forSize() {
    return this == TOO_MANY_OPS || this == TOO_LARGE;
  }

  /** The refusal {@code error} (or one of its causes) is, if it is one; empty: ambiguous. */
  public static Optional<EtcdRefusal> of(Throwable error) {
    Status status = Status.fromThrowable(error); // UNKNOWN when no status is in the chain
    if (status.getCode() != Status.Code.UNKNOWN) {
      return of(status.getCode(), status.getDescription());
    }
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof EtcdException etcd) {
        return of(Status.Code.valueOf(etcd.getErrorCode().name()), etcd.getMessage());
      }
    }
    return Optional.empty();
  }

  /** The refusal a gRPC status from etcd (or from the client's own checks) is; empty: ambiguous. */
  public static Optional<EtcdRefusal> of(Status.Code code, String description) {
    String message = description == null ? "" : description.toLowerCase(Locale.ROOT);
    return switch (code) {
      case INVALID_ARGUMENT -> Optional.of(message.contains("too many operations") ? TOO_MANY_OPS
          : message.contains("too large") ? TOO_LARGE : REFUSED);
      case RESOURCE_EXHAUSTED -> Optional.of(message.contains("larger than max")
          || message.contains("exceeds maximum") || message.contains("too large")
          ? TOO_LARGE : REFUSED);
      case NOT_FOUND -> Optional.of(message.contains("lease") ? LEASE_NOT_FOUND : REFUSED);
      case PERMISSION_DENIED, UNAUTHENTICATED, FAILED_PRECONDITION, OUT_OF_RANGE,
          ALREADY_EXISTS, UNIMPLEMENTED -> Optional.of(REFUSED);
      // etcd says these before proposing anything: nothing was applied.
      case UNAVAILABLE -> message.contains("no leader") || message.contains("not capable")
          ? Optional.of(REFUSED) : Optional.empty();
      // A deadline, a cancelled or broken call, a leader change, etcd's own request time-out,
      // an internal error: applied or not, only a read can tell.
      default -> Optional.empty();
    };
  }
}
