package io.gitstratum.coordinator.client.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ClientErrorsTest {

  @ParameterizedTest
  @CsvSource({
      "NOT_FOUND, NodeNotFoundException, false",
      "FAILED_PRECONDITION, ZombieGenerationException, false",
      "INVALID_ARGUMENT, InvalidArgumentException, false",
      "ALREADY_EXISTS, TypeConflictException, false",
      "RESOURCE_EXHAUSTED, ResourceExhaustedException, false", // without a reason: too large
      "UNAVAILABLE, UnavailableException, true",
      "DEADLINE_EXCEEDED, UnavailableException, true",
      "PERMISSION_DENIED, PermissionDeniedException, false",
      "UNAUTHENTICATED, PermissionDeniedException, false",
      "INTERNAL, InternalErrorException, false",
      "UNKNOWN, InternalErrorException, false",
      "UNIMPLEMENTED, InternalErrorException, false",
      "CANCELLED, InternalErrorException, false",
  })
  void everyStatusHasOneType(Status.Code code, String type, boolean retryable) {
    CoordinatorClientException e = ClientErrors.fromThrowable(
        Status.fromCode(code).withDescription("why").asRuntimeException(), "h:1");
    assertEquals(type, e.getClass().getSimpleName());
    assertEquals(code, e.code());
    assertEquals(retryable, e.isRetryable());
    assertEquals("h:1", e.endpoint());
    assertEquals(code.name() + ": why (from h:1)", e.getMessage());
    assertEquals(ErrorDetails.NONE, e.details());
  }

  @Test
  void theFacadesErrorInfoAndRetryInfoAreAttached() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
        .setMessage("too many heartbeats")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("gitstratum.io")
            .setReason("RATE_LIMITED").putMetadata("scope", "client").build()))
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(
            com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(500_000_000))
            .build()))
        .build();
    CoordinatorClientException e = ClientErrors.fromThrowable(
        StatusProto.toStatusRuntimeException(status), "h:1");
    assertInstanceOf(ResourceExhaustedException.class, e);
    assertEquals("RATE_LIMITED", e.reason());
    assertEquals(Map.of("scope", "client"), e.details().metadata());
    assertEquals(Optional.of(Duration.ofMillis(1500)), e.retryDelay());
    assertEquals("RESOURCE_EXHAUSTED: too many heartbeats (from h:1)", e.getMessage());

    // Another domain's ErrorInfo is not ours to interpret; the code alone decides.
    com.google.rpc.Status foreign = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.NOT_FOUND.value())
        .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("example.com")
            .setReason("WHATEVER").build()))
        .build();
    CoordinatorClientException other = ClientErrors.fromThrowable(
        StatusProto.toStatusRuntimeException(foreign), "h:1");
    assertInstanceOf(NodeNotFoundException.class, other);
    assertEquals("", other.reason());
  }

  @Test
  void transportCausesAreNamed() {
    CoordinatorClientException e = ClientErrors.fromStatus(Status.UNAVAILABLE
        .withDescription("io exception").withCause(new ConnectException("Connection refused")),
        "h:1", null);
    assertEquals("UNAVAILABLE: io exception: Connection refused (from h:1)", e.getMessage());
  }

  @Test
  void aMessageOverTheReceiveLimitSaysWhichSettingToRaise() {
    CoordinatorClientException e = ClientErrors.fromStatus(Status.RESOURCE_EXHAUSTED
        .withDescription("gRPC message exceeds maximum size 4194304: 5137361"), "h:1", null);
    assertInstanceOf(ResourceExhaustedException.class, e);
    assertTrue(e.getMessage().contains("maxInboundMessageSize"), e.getMessage());
  }

  @Test
  void translatedErrorsPassThroughAndOthersAreUnknown() {
    CoordinatorClientException mapped = new NodeNotFoundException("gone", "h:1", null);
    assertSame(mapped, ClientErrors.fromThrowable(mapped, "other:2"));
    CoordinatorClientException other = ClientErrors.fromThrowable(
        new IllegalStateException("boom"), "");
    assertInstanceOf(InternalErrorException.class, other);
    assertEquals(Status.Code.UNKNOWN, other.code());
    assertEquals("", other.endpoint());
    assertFalse(other.getMessage().contains("(from"));
    assertTrue(other.getMessage().contains("boom"));
  }

  @Test
  void anAdminActionTheNodesStateForbidsIsNotAZombie() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.FAILED_PRECONDITION.value())
        .setMessage("node n is ACTIVE: only a SUSPECT node can be confirmed DOWN")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("gitstratum.io")
            .setReason("NODE_STATE").putMetadata("nodeId", "n").build()))
        .build();
    CoordinatorClientException e = ClientErrors.fromThrowable(
        StatusProto.toStatusRuntimeException(status), "h:1");
    assertInstanceOf(NodeStateException.class, e);
    assertEquals(false, e.isRetryable());
  }
}
