package io.gitstratum.coordinator.facade.security;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.PerTestFacades;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.it.WatchRecorder;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every error reason the facade can produce without security settings, as a client sees it over
 * real gRPC: code, google.rpc.ErrorInfo (domain, reason, metadata) and RetryInfo where due.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ErrorDetailsTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private CoordinatorServiceBlockingStub start() {
    return facades.harness().stub(facades.harness().start(facades.cluster()));
  }

  private static RegisterNodeRequest register(String id) {
    return RegisterNodeRequest.newBuilder().setNode(TestNodes.node(id)).build();
  }

  @Test
  void invalidFieldNamesTheField() {
    CoordinatorServiceBlockingStub facade = start();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.registerNode(RegisterNodeRequest.newBuilder()
            .setNode(TestNodes.node("obj-1").toBuilder().setPort(0)).build()));
    ErrorDetails details = ErrorDetails.expect(e, Status.Code.INVALID_ARGUMENT, "INVALID_FIELD");
    assertEquals("node.port", details.metadata("field"));
    assertTrue(details.retryDelay().isEmpty());
  }

  @Test
  void nodeNotFoundOnHeartbeat() {
    CoordinatorServiceBlockingStub facade = start();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.heartbeat(TestNodes.beat("ghost", NodeState.NODE_STATE_ACTIVE)));
    ErrorDetails details = ErrorDetails.expect(e, Status.Code.NOT_FOUND, "NODE_NOT_FOUND");
    assertEquals("ghost", details.metadata("nodeId"));
  }

  @Test
  void generationMismatchOnHeartbeatAndDeregister() {
    CoordinatorServiceBlockingStub facade = start();
    facade.registerNode(register("obj-1"));
    StatusRuntimeException beat = assertThrows(StatusRuntimeException.class,
        () -> facade.heartbeat(HeartbeatRequest.newBuilder().setNodeId("obj-1")
            .setGenerationId("other").build()));
    assertEquals("obj-1", ErrorDetails.expect(beat, Status.Code.FAILED_PRECONDITION,
        "GENERATION_MISMATCH").metadata("nodeId"));
    StatusRuntimeException leave = assertThrows(StatusRuntimeException.class,
        () -> facade.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("obj-1")
            .setGenerationId("other").build()));
    ErrorDetails.expect(leave, Status.Code.FAILED_PRECONDITION, "GENERATION_MISMATCH");
  }

  @Test
  void typeConflictNamesTheRegisteredType() {
    CoordinatorServiceBlockingStub facade = start();
    facade.registerNode(register("node-1"));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node("node-1")
            .toBuilder().setType(NodeType.NODE_TYPE_FRONTEND)).build()));
    ErrorDetails details = ErrorDetails.expect(e, Status.Code.ALREADY_EXISTS, "TYPE_CONFLICT");
    assertEquals("node-1", details.metadata("nodeId"));
    assertEquals("NODE_TYPE_OBJECT", details.metadata("registeredType"));
  }

  @Test
  void replicaWatcherLimitCarriesARetryDelay() throws Exception {
    FacadeHarness harness = facades.harness();
    WatchSettings d = harness.config(facades.cluster()).watch();
    FacadeServer server = harness.start(facades.cluster(), c -> c.withWatch(new WatchSettings(
        d.keepaliveInterval(), d.queueCapacity(), d.bufferCapacity(), 1, d.replayLimit())));
    ManagedChannel channel = harness.channel(server);
    try (WatchRecorder first = WatchRecorder.watch(channel, 0)) {
      first.await(u -> u.hasFullSync(), Duration.ofSeconds(10));
      WatchRecorder second = WatchRecorder.watch(channel, 0);
      StatusRuntimeException e = (StatusRuntimeException) awaitError(second);
      ErrorDetails details = ErrorDetails.expect(e, Status.Code.RESOURCE_EXHAUSTED,
          "WATCHER_LIMIT");
      assertEquals("replica", details.metadata("scope"));
      assertEquals("1", details.metadata("limitStreams"));
      assertTrue(details.retryDelay().orElseThrow().toMillis() > 0);
    }
  }

  @Test
  void malformedBytesAreInvalidArgumentNotInternal() {
    FacadeHarness harness = facades.harness();
    FacadeServer server = harness.start(facades.cluster());
    Settled.detectorElected(harness.stub(server));
    ManagedChannel channel = harness.channel(server);
    long revision = harness.etcdRevision();
    // Field 1 (node) as a length-delimited record claiming more bytes than follow.
    byte[] truncated = {0x0a, 0x7f, 0x0a, 0x01};
    for (String method : List.of("RegisterNode", "Heartbeat", "DeregisterNode", "GetTopology")) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> RawCalls.call(channel, method, truncated));
      ErrorDetails.expect(e, Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
    }
    // A string field (node.id) holding bytes that are not UTF-8.
    byte[] badUtf8 = {0x0a, 0x04, 0x0a, 0x02, (byte) 0xc3, 0x28};
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> RawCalls.call(channel, "RegisterNode", badUtf8));
    ErrorDetails.expect(e, Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
    assertEquals(revision, harness.etcdRevision(), "nothing was written");
  }

  @Test
  void unaryCallsWithoutOrWithTwoMessagesAreMalformed() throws Exception {
    FacadeHarness harness = facades.harness();
    ManagedChannel channel = harness.channel(harness.start(facades.cluster()));
    byte[] empty = new byte[0];
    StatusRuntimeException none = RawCalls.callWith(channel, RawCalls.unary("GetTopology"),
        List.of());
    ErrorDetails.expect(none, Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
    StatusRuntimeException two = RawCalls.callWith(channel, RawCalls.unary("GetTopology"),
        List.of(empty, empty));
    ErrorDetails.expect(two, Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
    StatusRuntimeException watch = RawCalls.callWith(channel,
        RawCalls.serverStreaming("WatchTopology"), List.of());
    ErrorDetails.expect(watch, Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
    assertEquals(Status.Code.OK, RawCalls.callWith(channel, RawCalls.unary("GetTopology"),
        List.of(empty)).getStatus().getCode(), "one empty message is a valid request");
  }

  @Test
  void watchStreamsEndWithShuttingDown() throws Exception {
    FacadeHarness harness = facades.harness();
    FacadeServer server = harness.start(facades.cluster());
    try (WatchRecorder watch = WatchRecorder.watch(harness.channel(server), 0)) {
      watch.await(u -> u.hasFullSync(), Duration.ofSeconds(10));
      server.close();
      StatusRuntimeException e = (StatusRuntimeException) awaitError(watch);
      ErrorDetails.expect(e, Status.Code.UNAVAILABLE, "SHUTTING_DOWN");
    }
  }

  @Test
  void etcdOutageIsEtcdUnavailable() throws IOException {
    CoordinatorServiceBlockingStub facade = start().withDeadlineAfter(30, TimeUnit.SECONDS);
    etcd.cluster().stopMember(0);
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> facade.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build()));
      ErrorDetails.expect(e, Status.Code.UNAVAILABLE, "ETCD_UNAVAILABLE");
    } finally {
      etcd.cluster().restartMember(0);
    }
  }

  static Throwable awaitError(WatchRecorder watch) {
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.error() != null);
    return watch.error();
  }
}
