package io.gitstratum.coordinator.facade.security;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.PerTestFacades;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.it.WatchRecorder;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Limits over real gRPC with tiny values: RESOURCE_EXHAUSTED with RATE_LIMITED / WATCHER_LIMIT
 * and a retry delay, nothing written for a refused call, other clients and categories
 * unaffected, and oversize requests refused before any etcd work.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RateLimitTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private FacadeServer start(LimitSettings limits) {
    return facades.harness().start(facades.cluster(), c -> c.withLimits(limits));
  }

  /** Per client: 2 registrations, 2 heartbeats, 3 reads per second, 2 watch streams. */
  private static LimitSettings tinyPerClient() {
    return new LimitSettings(2, 2, 3, 0, 0, 0, 2, 100, 1 << 20);
  }

  private static RegisterNodeRequest register(String id) {
    return RegisterNodeRequest.newBuilder().setNode(TestNodes.node(id)).build();
  }

  /** A client on another loopback address: another identity for the limits. */
  private static ManagedChannel fromAddress(FacadeServer server, String local) {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
          @Override
          public InetSocketAddress createSocketAddress(SocketAddress remote,
              Attributes attrs) {
            return new InetSocketAddress(local, 0);
          }
        })
        .usePlaintext().build();
  }

  @Test
  void registrationsBeyondTheClientLimitAreRefusedWithARetryDelay() throws Exception {
    FacadeHarness harness = facades.harness();
    // Reads are not what this test limits: waiting for the detector must not spend them.
    FacadeServer server = start(new LimitSettings(2, 2, 1000, 0, 0, 0, 2, 100, 1 << 20));
    CoordinatorServiceBlockingStub facade = Settled.detectorElected(harness.stub(server));
    StatusRuntimeException refused = null;
    long revision = 0;
    // Two fit in one second; a third within the same second is refused. The loop covers the
    // rare case of the first two straddling a second boundary.
    for (int i = 0; i < 10 && refused == null; i++) {
      facade.registerNode(register("obj-" + i + "-a"));
      facade.registerNode(register("obj-" + i + "-b"));
      revision = harness.etcdRevision();
      try {
        facade.registerNode(register("obj-" + i + "-c"));
      } catch (StatusRuntimeException e) {
        refused = e;
      }
    }
    assertTrue(refused != null, "the third registration in a second was refused");
    ErrorDetails details = ErrorDetails.expect(refused, Status.Code.RESOURCE_EXHAUSTED,
        "RATE_LIMITED");
    assertEquals("client", details.metadata("scope"));
    assertEquals("registrations", details.metadata("category"));
    assertEquals("2", details.metadata("limitPerSecond"));
    Duration delay = details.retryDelay().orElseThrow();
    assertTrue(delay.compareTo(Duration.ZERO) > 0 && delay.compareTo(Duration.ofSeconds(1)) <= 0,
        "retry delay within the period: " + delay);
    assertEquals(revision, harness.etcdRevision(), "the refused registration wrote nothing");

    // Other categories keep their own budgets, and the retry delay is honest.
    facade.heartbeat(TestNodes.beat("obj-0-a", NodeState.NODE_STATE_ACTIVE));
    facade.getTopology(GetTopologyRequest.getDefaultInstance());
    Thread.sleep(delay.toMillis() + 20); // the wait the server asked for, not a guess
    facade.registerNode(register("obj-after"));
  }

  @Test
  void anotherClientIsNotLimitedByThisOne() {
    FacadeHarness harness = facades.harness();
    FacadeServer server = start(tinyPerClient());
    CoordinatorServiceBlockingStub first = harness.stub(server);
    ManagedChannel other = fromAddress(server, "127.0.0.2");
    try {
      CoordinatorServiceBlockingStub second = CoordinatorServiceGrpc.newBlockingStub(other)
          .withDeadlineAfter(20, TimeUnit.SECONDS);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
        for (int i = 0; i < 100; i++) {
          first.getLeader(GetLeaderRequest.getDefaultInstance());
        }
      });
      ErrorDetails.expect(e, Status.Code.RESOURCE_EXHAUSTED, "RATE_LIMITED");
      second.getLeader(GetLeaderRequest.getDefaultInstance());
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void theReplicaLimitCoversAllClients() {
    FacadeHarness harness = facades.harness();
    FacadeServer server = start(new LimitSettings(0, 0, 0, 0, 0, 3, 0, 100, 1 << 20));
    CoordinatorServiceBlockingStub first = harness.stub(server);
    ManagedChannel other = fromAddress(server, "127.0.0.3");
    try {
      CoordinatorServiceBlockingStub second = CoordinatorServiceGrpc.newBlockingStub(other)
          .withDeadlineAfter(20, TimeUnit.SECONDS);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
        for (int i = 0; i < 100; i++) {
          (i % 2 == 0 ? first : second).getTopology(GetTopologyRequest.getDefaultInstance());
        }
      });
      ErrorDetails details = ErrorDetails.expect(e, Status.Code.RESOURCE_EXHAUSTED,
          "RATE_LIMITED");
      assertEquals("replica", details.metadata("scope"));
      assertEquals("reads", details.metadata("category"));
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void watchStreamsPerClientAreCappedAndFreedWhenAStreamEnds() {
    FacadeHarness harness = facades.harness();
    FacadeServer server = start(new LimitSettings(0, 0, 0, 0, 0, 0, 2, 100, 1 << 20));
    ManagedChannel channel = harness.channel(server);
    WatchRecorder one = WatchRecorder.watch(channel, 0);
    try (WatchRecorder two = WatchRecorder.watch(channel, 0)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !one.received().isEmpty()
          && !two.received().isEmpty());
      try (WatchRecorder three = WatchRecorder.watch(channel, 0)) {
        StatusRuntimeException e = (StatusRuntimeException) ErrorDetailsTest.awaitError(three);
        ErrorDetails details = ErrorDetails.expect(e, Status.Code.RESOURCE_EXHAUSTED,
            "WATCHER_LIMIT");
        assertEquals("client", details.metadata("scope"));
        assertEquals("2", details.metadata("limitStreams"));
        assertTrue(details.retryDelay().isPresent());
      }
      one.close(); // the client cancels: its slot is free again
      await().atMost(Duration.ofSeconds(10)).until(() -> opensCleanly(channel));
    }
  }

  private static boolean opensCleanly(ManagedChannel channel) {
    try (WatchRecorder watch = WatchRecorder.watch(channel, 0)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> watch.error() != null
          || !watch.received().isEmpty());
      return watch.error() == null;
    }
  }

  @Test
  void oversizeRequestsAreRefusedBeforeAnyEtcdWork() {
    FacadeHarness harness = facades.harness();
    FacadeServer server = start(new LimitSettings(0, 0, 0, 0, 0, 0, 0, 100, 4096));
    CoordinatorServiceBlockingStub facade = Settled.detectorElected(harness.stub(server));
    NodeInfo.Builder big = TestNodes.node("obj-big").toBuilder();
    // 40 labels of 200 characters: valid by the input rules, but about 8 KiB on the wire.
    IntStream.range(0, 40).forEach(i -> big.putLabels("label-" + i, "v".repeat(200)));
    long revision = harness.etcdRevision();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.registerNode(RegisterNodeRequest.newBuilder().setNode(big).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
    assertEquals(revision, harness.etcdRevision(), "nothing reached etcd");
    facade.registerNode(register("obj-small"));
  }
}
