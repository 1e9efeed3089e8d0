package io.gitstratum.coordinator.client.errors;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The one place where gRPC statuses become the client's typed exceptions (CONTRACT.md, section
 * "Errors"). Stateless and thread-safe.
 *
 * <pre>
 * NOT_FOUND           → {@link NodeNotFoundException}
 * FAILED_PRECONDITION → {@link ZombieGenerationException}; with reason NODE_STATE (an admin
 *                       action the node's state does not allow) {@link NodeStateException}
 * INVALID_ARGUMENT    → {@link InvalidArgumentException}
 * ALREADY_EXISTS      → {@link TypeConflictException}
 * RESOURCE_EXHAUSTED  → {@link ResourceExhaustedException}
 * UNAVAILABLE, DEADLINE_EXCEEDED → {@link UnavailableException}
 * PERMISSION_DENIED, UNAUTHENTICATED → {@link PermissionDeniedException}
 * anything else       → {@link InternalErrorException}
 * </pre>
 *
 * <p>The type follows the code alone; the facade's {@code ErrorInfo} and {@code RetryInfo}
 * details, when present, are attached as {@link ErrorDetails}.
 */
public final class ClientErrors {
  private ClientErrors() {}

  /**
   * Translates a failure of a call to {@code endpoint}. A {@link CoordinatorClientException} is
   * returned unchanged; a throwable without a gRPC status counts as UNKNOWN.
   *
   * @param error what the gRPC stub threw or passed to {@code onError}
   * @param endpoint the endpoint called ({@code host:port}), or "" when none
   */
  public static CoordinatorClientException fromThrowable(Throwable error, String endpoint) {
    if (error instanceof CoordinatorClientException mapped) {
      return mapped;
    }
    Status status;
    if (error instanceof StatusRuntimeException sre) {
      status = sre.getStatus();
    } else if (error instanceof StatusException se) {
      status = se.getStatus();
    } else {
      status = Status.fromThrowable(error);
    }
    return fromStatus(status, endpoint, error, details(error));
  }

  /** Translates a status without details (see the table above). */
  public static CoordinatorClientException fromStatus(Status status, String endpoint,
      Throwable cause) {
    return fromStatus(status, endpoint, cause, ErrorDetails.NONE);
  }

  private static CoordinatorClientException fromStatus(Status status, String endpoint,
      Throwable cause, ErrorDetails details) {
    String message = describe(status, endpoint);
    Status.Code code = status.getCode();
    return switch (code) {
      case NOT_FOUND -> new NodeNotFoundException(message, endpoint, cause, details);
      case FAILED_PRECONDITION -> "NODE_STATE".equals(details.reason())
          ? new NodeStateException(message, endpoint, cause, details)
          : new ZombieGenerationException(message, endpoint, cause, details);
      case INVALID_ARGUMENT -> new InvalidArgumentException(message, endpoint, cause, details);
      case ALREADY_EXISTS -> new TypeConflictException(message, endpoint, cause, details);
      case RESOURCE_EXHAUSTED ->
          new ResourceExhaustedException(message, endpoint, cause, details);
      case UNAVAILABLE, DEADLINE_EXCEEDED ->
          new UnavailableException(code, message, endpoint, cause, details);
      case PERMISSION_DENIED, UNAUTHENTICATED ->
          new PermissionDeniedException(code, message, endpoint, cause, details);
      default -> new InternalErrorException(code, message, endpoint, cause, details);
    };
  }

  /** The facade's ErrorInfo (domain gitstratum.io) and RetryInfo, if the trailer has them. */
  static ErrorDetails details(Throwable error) {
    com.google.rpc.Status proto = StatusProto.fromThrowable(error);
    if (proto == null) {
      return ErrorDetails.NONE;
    }
    String reason = "";
    Map<String, String> metadata = Map.of();
    Optional<Duration> retryDelay = Optional.empty();
    for (Any detail : proto.getDetailsList()) {
      try {
        if (detail.is(ErrorInfo.class)) {
          ErrorInfo info = detail.unpack(ErrorInfo.class);
          if (ErrorDetails.DOMAIN.equals(info.getDomain())) {
            reason = info.getReason();
            metadata = info.getMetadataMap();
          }
        } else if (detail.is(RetryInfo.class)) {
          com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
          retryDelay = Optional.of(Duration.ofSeconds(d.getSeconds(), d.getNanos()));
        }
      } catch (InvalidProtocolBufferException e) {
        // Details only refine an error the status code already classifies: a detail that does
        // not decode is dropped, and the code decides as it would without it.
      }
    }
    return new ErrorDetails(reason, metadata, retryDelay);
  }

  private static String describe(Status status, String endpoint) {
    StringBuilder out = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null && !status.getDescription().isEmpty()) {
      out.append(": ").append(status.getDescription());
    }
    // Transport failures say only "io exception"; the cause says what (connection refused...).
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null) {
      out.append(": ").append(cause.getMessage());
    }
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && status.getDescription() != null
        && status.getDescription().contains("exceeds maximum size")) {
      // gRPC's own receive limit, not the facade's: say which setting to raise.
      out.append(" (the answer is larger than this channel's receive limit: raise it, grpc-java "
          + "maxInboundMessageSize; a topology of 100,000 nodes is about 17 MB)");
    }
    if (endpoint != null && !endpoint.isEmpty()) {
      out.append(" (from ").append(endpoint).append(')');
    }
    return out.toString();
  }
}
