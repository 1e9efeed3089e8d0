package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.watch.WatchHub;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.atomic.AtomicReference;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica starts on a prefix whose nodes would not fit one etcd response of gRPC's default
 * 4 MiB, with its own limit set to exactly that: the read comes in pages.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LargePrefixTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int NODES = 15_000;

  /** About 5 MB as one GetTopology answer or full_sync: past gRPC's default 4 MiB. */
  private static final int FULL_SYNC_NODES = 30_000;

  @Test
  void aReplicaStartsOnAPrefixLargerThanOneResponse(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    Keyspace keys = FacadeHarness.keys(cluster);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      long bytes = seed(harness, keys);
      FacadeServer facade = harness.start(cluster, LargePrefixTest::smallResponses);
      HealthCheckResponse health = harness.stub(facade)
          .healthCheck(HealthCheckRequest.getDefaultInstance());
      System.out.printf("replica loaded %d nodes (%d bytes of node records)%n",
          health.getDownNodes(), bytes);
      assertEquals(NODES, health.getDownNodes());
      assertEquals(NODES, health.getTopologyVersion());
    }
  }

  @Test
  void aCompactionDrivenResyncOfALargePrefixCompletes(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    Keyspace keys = FacadeHarness.keys(cluster);
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      seed(harness, keys);
      FacadeServer facade = harness.start(cluster, LargePrefixTest::smallResponses);
      CoordinatorServiceBlockingStub stub = harness.stub(facade);
      // Cut the replica off, change the prefix behind its back and compact etcd past its watch:
      // it can only come back by reading the whole prefix again.
      proxy.blackHole();
      try (Client direct = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
        long revision = direct.getKVClient().put(FacadeHarness.bytes(keys.node("object-00000")),
            ByteSequence.from(RecordCodec.encode(node(0).toBuilder().setPort(7001).build())))
            .get(10, TimeUnit.SECONDS).getHeader().getRevision();
        direct.getKVClient().compact(revision).get(10, TimeUnit.SECONDS);
      }
      proxy.reset();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stub.getTopology(
          GetTopologyRequest.newBuilder().setLinearizable(true).build()).getObjectNodesList()
          .stream().anyMatch(n -> n.getId().equals("object-00000") && n.getPort() == 7001));
      assertEquals(NODES, stub.healthCheck(HealthCheckRequest.getDefaultInstance())
          .getDownNodes());
    }
  }

  @Test
  void fullSyncsOfALargeTopologyReachEveryReaderPastStreamsThatDoNotRead(TestInfo test)
      throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    Keyspace keys = FacadeHarness.keys(cluster);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      seed(harness, keys, FULL_SYNC_NODES);
      // Stalled streams are ended after three keepalive intervals: 3 s here. A reader's 5 MB
      // full_sync must leave gRPC's buffers within that window too, or it counts as stalled:
      // with 1.5 s, readers on a machine short of CPU were ended (5 of 12 left, 2 runs of 5).
      FacadeServer facade = harness.start(cluster, config -> config.withWatch(
          new WatchSettings(Duration.ofSeconds(1), 1024, 10_000, 100, 10_000)));
      CoordinatorServiceBlockingStub stub = harness.stub(facade);

      // gRPC's default 4 MiB receive limit: an error naming the limit, not a hang.
      StatusRuntimeException tooLarge = assertThrows(StatusRuntimeException.class,
          () -> stub.getTopology(GetTopologyRequest.getDefaultInstance()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooLarge.getStatus().getCode());
      assertTrue(tooLarge.getMessage().contains("4194304"), tooLarge.getMessage());

      ManagedChannel large = ManagedChannelBuilder.forAddress("127.0.0.1", facade.port())
          .usePlaintext().maxInboundMessageSize(64 << 20).build();
      List<ClientCallStreamObserver<?>> stalled = new ArrayList<>();
      List<WatchRecorder> readers = new ArrayList<>();
      try {
        // Streams that never read take more full_sync bytes than the replica lets into gRPC's
        // buffers at once; the readers behind them get theirs once the stalled ones are ended.
        int size = CoordinatorServiceGrpc.newBlockingStub(large)
            .getTopology(GetTopologyRequest.getDefaultInstance()).getSerializedSize();
        long streams = WatchHub.FULL_SYNC_BYTES_IN_TRANSIT / size + 2;
        for (int i = 0; i < streams; i++) {
          stalled.add(neverReading(large));
        }
        for (int i = 0; i < 12; i++) {
          readers.add(WatchRecorder.watch(large, 0));
        }
        GetTopologyResponse expected = null;
        for (WatchRecorder reader : readers) {
          TopologyUpdate sync = reader.await(TopologyUpdate::hasFullSync, Duration.ofSeconds(60));
          assertEquals(FULL_SYNC_NODES, sync.getFullSync().getObjectNodesCount());
          assertEquals(FULL_SYNC_NODES, sync.getVersion());
          if (expected == null) {
            expected = sync.getFullSync();
          }
          assertEquals(expected, sync.getFullSync(), "every stream gets the same topology");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
            readers.size(), stub.healthCheck(HealthCheckRequest.getDefaultInstance())
                .getWatchSubscribers(), "the stalled streams were ended"));
      } finally {
        readers.forEach(WatchRecorder::close);
        stalled.forEach(s -> s.cancel("done", null));
        large.shutdownNow();
      }
    }
  }

  @Test
  void aWatcherResumesAcrossAnEventReplayLargerThanOneResponse(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    Keyspace keys = FacadeHarness.keys(cluster);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      long eventBytes = seed(harness, keys, NODES, true);
      // A replica that has just started holds no events: the resume reads etcd's event log.
      FacadeServer facade = harness.start(cluster, config -> smallResponses(config)
          .withWatch(new WatchSettings(Duration.ofSeconds(10), 1024, 100, 100, 2 * NODES)));
      assertTrue(eventBytes > 4 << 20, eventBytes + " bytes of events");
      ManagedChannel large = ManagedChannelBuilder.forAddress("127.0.0.1", facade.port())
          .usePlaintext().maxInboundMessageSize(64 << 20).build();
      try (WatchRecorder watcher = WatchRecorder.watch(large, 1)) {
        watcher.awaitVersion(NODES, Duration.ofSeconds(60));
        List<TopologyUpdate> changes = watcher.changes();
        assertEquals(NODES - 1, changes.size(), "every event after version 1, no full_sync");
        for (int i = 0; i < changes.size(); i++) {
          TopologyUpdate update = changes.get(i);
          assertEquals(i + 2, update.getVersion());
          assertEquals(node(i + 1), update.getNodeAdded());
        }
      } finally {
        large.shutdownNow();
      }
    }
  }

  /** A WatchTopology stream from version 0 whose client never asks for a message. */
  private static ClientCallStreamObserver<?> neverReading(ManagedChannel channel) {
    AtomicReference<ClientCallStreamObserver<WatchTopologyRequest>> call = new AtomicReference<>();
    CoordinatorServiceGrpc.newStub(channel).watchTopology(WatchTopologyRequest.getDefaultInstance(),
        new ClientResponseObserver<WatchTopologyRequest, TopologyUpdate>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchTopologyRequest> stream) {
            stream.disableAutoRequestWithInitial(0);
            call.set(stream);
          }

          @Override
          public void onNext(TopologyUpdate value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    return call.get();
  }

  /** DOWN nodes with five labels each, straight into etcd; the detector leaves DOWN alone. */
  private static long seed(FacadeHarness harness, Keyspace keys) throws Exception {
    return seed(harness, keys, NODES);
  }

  private static long seed(FacadeHarness harness, Keyspace keys, int nodes) throws Exception {
    return seed(harness, keys, nodes, false);
  }

  /**
   * {@code nodes} nodes; with {@code events}, each with its node_added event as version i + 1
   * (and the bytes counted are the events').
   */
  private static long seed(FacadeHarness harness, Keyspace keys, int nodes, boolean events)
      throws Exception {
    long bytes = 0;
    int perTxn = events ? 60 : 120; // etcd allows 128 operations per transaction
    for (int batch = 0; batch < nodes; batch += perTxn) {
      List<Op> puts = new ArrayList<>();
      for (int i = batch; i < Math.min(nodes, batch + perTxn); i++) {
        NodeInfo node = node(i);
        byte[] value = RecordCodec.encode(node);
        puts.add(Op.put(FacadeHarness.bytes(keys.node(node.getId())), ByteSequence.from(value),
            PutOption.DEFAULT));
        if (events) {
          byte[] event = RecordCodec.encode(TopologyUpdate.newBuilder().setVersion(i + 1)
              .setPreviousVersion(i).setNodeAdded(node).build());
          bytes += event.length;
          puts.add(Op.put(FacadeHarness.bytes(keys.event(i + 1)), ByteSequence.from(event),
              PutOption.DEFAULT));
        } else {
          bytes += value.length;
        }
      }
      harness.etcd().getKVClient().txn().Then(puts.toArray(Op[]::new)).commit()
          .get(10, TimeUnit.SECONDS);
    }
    harness.etcd().getKVClient().put(FacadeHarness.bytes(keys.version()),
        ByteSequence.from(RecordCodec.encodeVersion(nodes))).get(10, TimeUnit.SECONDS);
    return bytes;
  }

  private static NodeInfo node(int i) {
    return NodeInfo.newBuilder().setId(String.format("object-%05d", i))
        .setAddress("10.1." + (i / 250) + "." + (i % 250)).setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("generation-" + i)
        .setState(NodeState.NODE_STATE_DOWN)
        .putLabels("zone", "zone-" + (i % 3)).putLabels("rack", "rack-" + (i % 40))
        .putLabels("disk", "nvme-3.84t").putLabels("build", "2026.11.30-" + (i % 7))
        .putLabels("owner", "storage-platform-team/object-tier/" + (i % 11))
        .build();
  }

  /** 4 MiB etcd responses (gRPC's own default): the prefix needs several pages. */
  private static FacadeConfig smallResponses(FacadeConfig config) {
    return config.withEtcd(config.etcd().withMaxResponseBytes(4 << 20));
  }
}
