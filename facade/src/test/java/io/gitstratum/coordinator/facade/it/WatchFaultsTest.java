package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Watch streams under faults: a compacted etcd watch, and a subscriber that stops reading. */
@Tag("etcd")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WatchFaultsTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.threeMembers();

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void compactionWhileAReplicasWatchIsBrokenNeverLeavesAGap(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      // Replica A talks to member 0 only; replica B to member 1 only.
      FacadeServer a = harness.start(cluster,
          c -> onlyMember(c, 0));
      FacadeServer b = harness.start(cluster,
          c -> onlyMember(c, 1));
      CoordinatorServiceBlockingStub writer = harness.stub(b);
      for (int i = 0; i < 3; i++) {
        writer.registerNode(WatchTopologyTest.register("before-" + i));
      }
      WatchRecorder onA = WatchRecorder.watch(harness.channel(a), 0);
      onA.awaitVersion(3, WAIT);

      etcd.cluster().stopMember(0);
      for (int i = 0; i < 5; i++) {
        writer.registerNode(WatchTopologyTest.register("during-" + i));
      }
      long revision = harness.etcdRevision();
      harness.etcd().getKVClient().compact(revision).get(10, TimeUnit.SECONDS);
      etcd.cluster().restartMember(0);

      writer.registerNode(WatchTopologyTest.register("after"));
      onA.awaitVersion(9, WAIT);
      onA.assertGapFree(0);
      // The opening full_sync may predate version 3 (replica A's cache had not seen it yet).
      long opening = onA.received().get(0).getVersion();
      boolean exact = onA.changes().stream().map(TopologyUpdate::getVersion).toList()
          .equals(LongStream.rangeClosed(opening + 1, 9).boxed().toList());
      boolean resynced = onA.received().stream().filter(TopologyUpdate::hasFullSync).count() >= 2;
      assertTrue(exact || resynced, "exact missing changes or a full_sync: " + onA.received());
      assertEquals(9, harness.stub(a).getTopology(GetTopologyRequest.newBuilder()
          .setLinearizable(true).build()).getObjectNodesCount());
    }
  }

  @Test
  void aSubscriberThatStopsReadingIsLaggedThenFullSynced(TestInfo test) throws Exception {
    // Further behind than its queue and the replica's buffer of recent changes: lagged.
    List<TopologyUpdate> all = stopReadingWhile2000Register(test, 100);
    int lagged = indexOf(all, TopologyUpdate::hasLagged);
    assertTrue(lagged > 0, "a lagged message arrived");
    assertTrue(all.get(lagged + 1).hasFullSync(), "a full_sync follows lagged");
    long changes = all.stream().filter(WatchRecorder::isChange).count();
    assertTrue(changes < 2000, "the replica dropped events instead of buffering all of them: "
        + changes);
    WatchRecorder.assertGapFree(all, 0);
  }

  @Test
  void aSubscriberThatStopsReadingWithinTheBufferCatchesUpWithoutAFullSync(TestInfo test)
      throws Exception {
    // Further behind than its queue (100), within the replica's buffer (10,000).
    List<TopologyUpdate> all = stopReadingWhile2000Register(test, 10_000);
    assertEquals(-1, indexOf(all, TopologyUpdate::hasLagged), "no lagged");
    assertEquals(1, all.stream().filter(TopologyUpdate::hasFullSync).count(),
        "the opening full_sync only");
    assertEquals(2000, all.stream().filter(WatchRecorder::isChange).count(), "every change");
    WatchRecorder.assertGapFree(all, 0);
  }

  /**
   * A stream whose reader stops after the opening full_sync while 2,000 nodes register through
   * a replica with a queue of 100 per stream and a buffer of {@code buffer} recent changes; then
   * it reads everything up to version 2,000. Returns what it read.
   */
  private List<TopologyUpdate> stopReadingWhile2000Register(TestInfo test, int buffer)
      throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer a = harness.start(cluster, c -> c.withWatch(
          new WatchSettings(Duration.ofSeconds(10), 100, buffer, 100, 10_000)));
      // A small HTTP/2 window, so that a reader that stops requesting pushes back on the server.
      ManagedChannel slowChannel = NettyChannelBuilder.forAddress("127.0.0.1", a.port())
          .usePlaintext().flowControlWindow(16 * 1024).build();
      List<TopologyUpdate> got = Collections.synchronizedList(new ArrayList<>());
      ClientCall<WatchTopologyRequest, TopologyUpdate> call = slowChannel.newCall(
          CoordinatorServiceGrpc.getWatchTopologyMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(TopologyUpdate message) {
          got.add(message);
        }
      }, new Metadata());
      call.sendMessage(WatchTopologyRequest.getDefaultInstance());
      call.halfClose();
      call.request(1);
      Awaitility.await().atMost(WAIT).until(() -> got.size() == 1);
      assertTrue(got.get(0).hasFullSync());

      CoordinatorServiceBlockingStub writer = harness.stub(a);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> writes = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        int n = i;
        writes.add(pool.submit(() -> writer.registerNode(WatchTopologyTest.register("n" + n))));
      }
      for (Future<?> f : writes) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();

      call.request(Integer.MAX_VALUE);
      Awaitility.await().atMost(WAIT).until(() -> !got.isEmpty()
          && got.get(got.size() - 1).getVersion() == 2000);
      call.cancel("done", null);
      slowChannel.shutdownNow();
      return List.copyOf(got);
    }
  }

  private static int indexOf(List<TopologyUpdate> updates,
      java.util.function.Predicate<TopologyUpdate> p) {
    for (int i = 0; i < updates.size(); i++) {
      if (p.test(updates.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static FacadeConfig onlyMember(FacadeConfig config, int member) {
    return config.withEtcd(config.etcd().withEndpoints(List.of(etcd.endpoints().get(member)),
        config.etcd().access()));
  }
}
