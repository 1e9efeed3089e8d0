package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Guarantee 4 on real replicas over real etcd. */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WatchTopologyTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private FacadeHarness harness;
  private String cluster;

  @BeforeEach
  void bind() {
    harness = facades.harness();
    cluster = facades.cluster();
  }

  static RegisterNodeRequest register(String id) {
    return RegisterNodeRequest.newBuilder().setNode(NodeInfo.newBuilder().setId(id)
        .setAddress("10.0.0.1").setPort(7000).setType(NodeType.NODE_TYPE_OBJECT)
        .setGenerationId("g")).build();
  }

  private FacadeServer replica(WatchSettings watch) {
    return harness.start(cluster, c -> c.withWatch(watch));
  }

  @Test
  void thirtyWatchersOnThreeReplicasSeeThreeHundredConcurrentChangesInOrder() throws Exception {
    List<FacadeServer> replicas = List.of(harness.start(cluster), harness.start(cluster),
        harness.start(cluster));
    List<WatchRecorder> watchers = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      watchers.add(WatchRecorder.watch(harness.channel(replicas.get(i % 3)), 0));
    }
    for (WatchRecorder w : watchers) {
      w.await(TopologyUpdate::hasFullSync, WAIT);
    }
    List<CoordinatorServiceBlockingStub> stubs = replicas.stream().map(harness::stub).toList();
    ExecutorService pool = Executors.newFixedThreadPool(12);
    List<Future<?>> writes = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      CoordinatorServiceBlockingStub stub = stubs.get(i % 3);
      int n = i;
      // 200 registrations, then 100 changes to them: removals and address updates.
      writes.add(pool.submit(() -> {
        if (n < 200) {
          stub.registerNode(register("node-" + n));
        } else if (n % 2 == 0) {
          stub.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("node-" + (n - 200))
              .build());
        } else {
          RegisterNodeRequest moved = register("node-" + (n - 200));
          stub.registerNode(moved.toBuilder().setNode(moved.getNode().toBuilder().setPort(9000))
              .build());
        }
      }));
      if (n == 199) {
        for (Future<?> f : writes) {
          f.get(60, TimeUnit.SECONDS); // the second phase changes nodes the first one added
        }
      }
    }
    for (Future<?> f : writes) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    GetTopologyResponse expected = stubs.get(0).getTopology(
        GetTopologyRequest.newBuilder().setLinearizable(true).build());
    assertEquals(300, expected.getVersion());
    for (WatchRecorder w : watchers) {
      w.awaitVersion(300, WAIT);
      List<Long> versions = w.changes().stream().map(TopologyUpdate::getVersion).toList();
      assertEquals(LongStream.rangeClosed(1, 300).boxed().toList(), versions);
      Topology replayed = w.assertGapFree(0);
      assertEquals(Topology.fromResponse(expected).nodes().stream()
              .sorted((a, b) -> a.getId().compareTo(b.getId())).toList(),
          replayed.nodes().stream().sorted((a, b) -> a.getId().compareTo(b.getId())).toList());
    }
  }

  @Test
  void resumingOnAnotherReplicaContinuesAfterTheVersion() throws Exception {
    FacadeServer a = harness.start(cluster);
    FacadeServer b = harness.start(cluster);
    CoordinatorServiceBlockingStub writer = harness.stub(a);
    WatchRecorder first = WatchRecorder.watch(harness.channel(a), 0);
    for (int i = 0; i < 10; i++) {
      writer.registerNode(register("n" + i));
    }
    first.awaitVersion(10, WAIT);
    first.close();
    for (int i = 10; i < 15; i++) {
      writer.registerNode(register("n" + i));
    }
    WatchRecorder resumed = WatchRecorder.watch(harness.channel(b), 10);
    resumed.awaitVersion(15, WAIT);
    writer.registerNode(register("n15"));
    resumed.awaitVersion(16, WAIT);
    assertEquals(LongStream.rangeClosed(11, 16).boxed().toList(),
        resumed.received().stream().map(TopologyUpdate::getVersion).toList());
    assertTrue(resumed.received().stream().allMatch(TopologyUpdate::hasNodeAdded));
    resumed.assertGapFree(10);
  }

  @Test
  void resumingFromAVersionNoLongerRetainedGetsAFullSync() throws Exception {
    // A replica that remembers 3 events, and an event log trimmed to the last 3.
    FacadeServer a = replica(new WatchSettings(Duration.ofSeconds(10), 1024, 3, 100, 10_000));
    CoordinatorServiceBlockingStub writer = harness.stub(a);
    for (int i = 0; i < 10; i++) {
      writer.registerNode(register("n" + i));
    }
    harness.etcd().getKVClient().delete(FacadeHarness.bytes(FacadeHarness.keys(cluster).event(1)),
        io.etcd.jetcd.options.DeleteOption.builder()
            .withRange(FacadeHarness.bytes(FacadeHarness.keys(cluster).event(8))).build())
        .get(5, TimeUnit.SECONDS);

    WatchRecorder fromLog = WatchRecorder.watch(harness.channel(a), 6);
    TopologyUpdate sync = fromLog.await(u -> !u.hasKeepalive(), WAIT);
    assertTrue(sync.hasFullSync(), "event 7 is gone from buffer and log: " + sync);
    assertEquals(6, sync.getPreviousVersion());
    assertEquals(10, sync.getVersion());
    assertEquals(10, sync.getFullSync().getObjectNodesCount());
    writer.registerNode(register("n10"));
    fromLog.awaitVersion(11, WAIT);
    fromLog.assertGapFree(6);

    // Versions still in the log replay exactly, even when the buffer no longer has them.
    WatchRecorder replayed = WatchRecorder.watch(harness.channel(a), 7);
    replayed.awaitVersion(11, WAIT);
    assertEquals(List.of(8L, 9L, 10L, 11L),
        replayed.received().stream().map(TopologyUpdate::getVersion).toList());
  }

  @Test
  void aVersionAheadOfEtcdGetsAFullSync() throws Exception {
    FacadeServer a = harness.start(cluster);
    harness.stub(a).registerNode(register("n0"));
    WatchRecorder ahead = WatchRecorder.watch(harness.channel(a), 50);
    TopologyUpdate sync = ahead.await(u -> !u.hasKeepalive(), WAIT);
    assertTrue(sync.hasFullSync());
    assertEquals(50, sync.getPreviousVersion());
    assertEquals(1, sync.getVersion());
  }

  @Test
  void idleStreamsGetKeepalivesThatDoNotAdvance() throws Exception {
    FacadeServer a = replica(new WatchSettings(Duration.ofMillis(300), 1024, 100, 100, 100));
    harness.stub(a).registerNode(register("n0"));
    WatchRecorder idle = WatchRecorder.watch(harness.channel(a), 1);
    TopologyUpdate keepalive = idle.await(TopologyUpdate::hasKeepalive, Duration.ofSeconds(5));
    assertEquals(1, keepalive.getVersion());
    assertEquals(1, keepalive.getPreviousVersion());
    assertTrue(keepalive.getKeepalive().getServerTime() > 0);
  }

  @Test
  void subscriberLimitGivesResourceExhausted() throws Exception {
    FacadeServer a = replica(new WatchSettings(Duration.ofSeconds(10), 1024, 100, 2, 100));
    ManagedChannel channel = harness.channel(a);
    WatchRecorder one = WatchRecorder.watch(channel, 0);
    WatchRecorder two = WatchRecorder.watch(channel, 0);
    one.await(TopologyUpdate::hasFullSync, WAIT);
    two.await(TopologyUpdate::hasFullSync, WAIT);
    assertEquals(2, harness.stub(a).healthCheck(HealthCheckRequest.getDefaultInstance())
        .getWatchSubscribers());
    WatchRecorder three = WatchRecorder.watch(channel, 0);
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> three.error() != null);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(three.error()).getCode());
    one.close();
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> harness.stub(a)
        .healthCheck(HealthCheckRequest.getDefaultInstance()).getWatchSubscribers() == 1);
    WatchRecorder four = WatchRecorder.watch(channel, 0);
    four.await(TopologyUpdate::hasFullSync, WAIT);
    assertFalse(four.received().isEmpty());
  }
}
