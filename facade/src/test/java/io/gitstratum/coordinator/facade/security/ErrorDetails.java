package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Optional;

/** The typed details of an error as a client reads them from the status trailers. */
public record ErrorDetails(Status.Code code, ErrorInfo info, Optional<Duration> retryDelay) {

  public static ErrorDetails of(Throwable error) {
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    assertNotNull(status, "no google.rpc.Status details on " + error);
    ErrorInfo info = null;
    Duration retry = null;
    try {
      for (Any detail : status.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          info = detail.unpack(ErrorInfo.class);
        } else if (detail.is(RetryInfo.class)) {
          com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
          retry = Duration.ofSeconds(d.getSeconds(), d.getNanos());
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
    assertNotNull(info, "no ErrorInfo on " + error);
    assertEquals("gitstratum.io", info.getDomain());
    Status.Code code = Status.fromThrowable(error).getCode();
    assertEquals(code.value(), status.getCode(), "details and status agree on the code");
    return new ErrorDetails(code, info, Optional.ofNullable(retry));
  }

  /** Asserts the code and reason, and returns the details for further checks. */
  public static ErrorDetails expect(StatusRuntimeException error, Status.Code code, String reason) {
    ErrorDetails details = of(error);
    assertEquals(code, details.code(), () -> "code of " + error);
    assertEquals(reason, details.info().getReason(), () -> "reason of " + error);
    return details;
  }

  public String metadata(String key) {
    return info.getMetadataOrDefault(key, null);
  }
}
