package io.gitstratum.coordinator.facade.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gitstratum.CoordinatorServiceGrpc;
import gitstratum.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import gitstratum.Gitstratum.AddNodeRequest;
import gitstratum.Gitstratum.AddNodeResponse;
import gitstratum.Gitstratum.DeregisterNodeRequest;
import gitstratum.Gitstratum.GetClusterStateRequest;
import gitstratum.Gitstratum.GetClusterStateResponse;
import gitstratum.Gitstratum.GetHashRingRequest;
import gitstratum.Gitstratum.GetHashRingResponse;
import gitstratum.Gitstratum.HashRingEntry;
import gitstratum.Gitstratum.HeartbeatRequest;
import gitstratum.Gitstratum.HeartbeatResponse;
import gitstratum.Gitstratum.NodeInfo;
import gitstratum.Gitstratum.NodeState;
import gitstratum.Gitstratum.NodeType;
import gitstratum.Gitstratum.RegisterNodeRequest;
import gitstratum.Gitstratum.RemoveNodeRequest;
import io.gitstratum.coordinator.client.ring.RingHashing;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The facade spoken to as gitstratum's own client does ({@code
 * crates/gitstratum-coordinator/src/client.rs} at d80ae157), with stubs and messages generated
 * from gitstratum's own proto (src/test/proto, Java package {@code gitstratum}): every request
 * is built, and every answer decoded, with gitstratum's classes, over plaintext h2c as tonic
 * speaks it, with its per-attempt timeout of 5 s.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GitstratumClientCompatTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration WAIT = Duration.ofSeconds(30);
  /** Client.rs's leader hint: a FAILED_PRECONDITION carrying it redirects the next attempt. */
  private static final Metadata.Key<String> LEADER_ADDRESS =
      Metadata.Key.of("leader-address", Metadata.ASCII_STRING_MARSHALLER);

  private static NodeInfo node(String id, NodeType type) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000).setType(type)
        .setGenerationId("gen-" + id).build();
  }

  /** {@code CoordinatorClient::connect}: plaintext h2c, a fresh channel per client. */
  private static ManagedChannel connect(FacadeServer server) {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
        // A small window, so that a paused reader pushes back on the facade (lagged).
        .flowControlWindow(16 * 1024).build();
  }

  private static CoordinatorServiceBlockingStub stub(ManagedChannel channel) {
    return CoordinatorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  @Test
  void gitstratumsClientWorksUnchanged(TestInfo test) throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      // Queue 1 per stream and a buffer of 10 changes: a reader that pauses is lagged at once.
      FacadeServer server = harness.start(FacadeHarness.clusterFor(test), c -> c.withWatch(
          new WatchSettings(Duration.ofSeconds(10), 1, 10, 100, 10_000)));
      ManagedChannel channel = connect(server);
      try {
        speak(server, channel);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private void speak(FacadeServer server, ManagedChannel channel) throws Exception {
    // add_node: AddNode, success checked; again: idempotent, still success.
    for (String id : List.of("obj-1", "obj-2", "obj-3", "obj-4")) {
      AddNodeResponse added = stub(channel).addNode(
          AddNodeRequest.newBuilder().setNode(node(id, NodeType.NODE_TYPE_OBJECT)).build());
      assertTrue(added.getSuccess(), added.toString());
    }
    assertTrue(stub(channel).addNode(AddNodeRequest.newBuilder()
        .setNode(node("obj-1", NodeType.NODE_TYPE_OBJECT)).build()).getSuccess());
    // register_node: RegisterNode, as its SmartCoordinatorClient does for the new path.
    assertEquals(5, stub(channel).registerNode(RegisterNodeRequest.newBuilder()
        .setNode(node("meta-1", NodeType.NODE_TYPE_METADATA)).build()).getTopologyVersion());

    // get_topology / refresh_topology: GetClusterState into its cache.
    GetClusterStateResponse state = stub(channel).getClusterState(
        GetClusterStateRequest.getDefaultInstance());
    assertEquals(5, state.getVersion());
    assertEquals(4, state.getObjectNodesCount());
    assertEquals(1, state.getMetadataNodesCount());
    assertEquals(16, state.getHashRingConfig().getVirtualNodesPerPhysical());
    assertEquals(3, state.getHashRingConfig().getReplicationFactor());
    assertTrue(state.getObjectNodesList().stream()
        .allMatch(n -> n.getState() == NodeState.NODE_STATE_JOINING));
    long known = state.getVersion();

    // get_hash_ring builds its ring from every object node, JOINING ones included; GetHashRing
    // holds exactly those points.
    GetHashRingResponse ring = stub(channel).getHashRing(GetHashRingRequest.getDefaultInstance());
    assertEquals(ringOf(state), ring.getEntriesList());
    assertEquals(state.getVersion(), ring.getVersion());

    // watch_topology_with_recovery from 0: full_sync, then changes under its gap rule.
    try (PortedWatch watch = new PortedWatch(() -> connect(server)).start()) {
      Awaitility.await().atMost(WAIT).until(() -> watch.version() == known);
      assertEquals(List.of("FullSync 5"), watch.events());
      assertEquals(4, watch.cache().getObjectNodesCount());

      // heartbeat with known_version: every node turns ACTIVE; refresh_required as promised.
      HeartbeatResponse beat = null;
      for (String id : List.of("obj-1", "obj-2", "obj-3", "obj-4", "meta-1")) {
        beat = stub(channel).heartbeat(HeartbeatRequest.newBuilder().setNodeId(id)
            .setKnownVersion(known).setReportedState(NodeState.NODE_STATE_ACTIVE)
            .setGenerationId("gen-" + id).build());
      }
      assertEquals(10, beat.getCurrentVersion());
      assertTrue(beat.getRefreshRequired());
      HeartbeatResponse steady = stub(channel).heartbeat(HeartbeatRequest.newBuilder()
          .setNodeId("obj-1").setKnownVersion(10).setReportedState(NodeState.NODE_STATE_ACTIVE)
          .setGenerationId("gen-obj-1").build());
      assertEquals(10, steady.getCurrentVersion());
      assertFalse(steady.getRefreshRequired());
      Awaitility.await().atMost(WAIT).until(() -> watch.version() == 10);
      assertEquals(List.of("FullSync 5", "NODE_UPDATED 6", "NODE_UPDATED 7", "NODE_UPDATED 8",
          "NODE_UPDATED 9", "NODE_UPDATED 10"), watch.events());

      // A zombie's heartbeat: FAILED_PRECONDITION without a leader hint, so client.rs retries
      // on its endpoints (5 attempts) and gives up, as for any refusal by code.
      StatusRuntimeException zombie = assertThrows(StatusRuntimeException.class,
          () -> stub(channel).heartbeat(HeartbeatRequest.newBuilder().setNodeId("obj-1")
              .setKnownVersion(10).setGenerationId("gen-old").build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, zombie.getStatus().getCode());
      assertNull(zombie.getTrailers().get(LEADER_ADDRESS));

      // Lagged: the reader stops while 1,000 nodes are added (more than the HTTP/2 window and
      // gRPC's send buffer hold); client.rs drops its cache and starts again from 0, and ends
      // with every node, no gap.
      watch.pause();
      addMany(channel, 1000);
      watch.resume();
      Awaitility.await().atMost(WAIT).until(() -> watch.events().stream()
          .anyMatch(e -> e.startsWith("Lagged")));
      Awaitility.await().atMost(WAIT).until(() -> watch.version() == 1010
          && watch.cache() != null);
      List<String> events = watch.events();
      assertTrue(events.stream().noneMatch(e -> e.startsWith("Gap") || e.startsWith("Error")),
          events.toString());
      int lagged = indexOf(events, "Lagged");
      assertEquals("FullSync", events.get(lagged + 1).split(" ")[0], events.toString());

      // remove_node: RemoveNode; deregister_node: DeregisterNode without a generation.
      assertTrue(stub(channel).removeNode(RemoveNodeRequest.newBuilder().setNodeId("obj-1")
          .build()).getSuccess());
      assertEquals(1012, stub(channel).deregisterNode(DeregisterNodeRequest.newBuilder()
          .setNodeId("meta-1").build()).getTopologyVersion());
      Awaitility.await().atMost(WAIT).until(() -> watch.version() == 1012);
      List<String> tail = watch.events().subList(watch.events().size() - 2,
          watch.events().size());
      assertEquals(List.of("NODE_REMOVED 1011", "NODE_REMOVED 1012"), tail);
      GetClusterStateResponse after = stub(channel).getClusterState(
          GetClusterStateRequest.getDefaultInstance());
      assertEquals(1012, after.getVersion());
      assertTrue(after.getObjectNodesList().stream().noneMatch(n -> n.getId().equals("obj-1")));
      assertEquals(0, after.getMetadataNodesCount());
    }
  }

  private static void addMany(ManagedChannel channel, int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<AddNodeResponse>> adds = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String id = "bulk-" + i;
        adds.add(pool.submit(() -> stub(channel).addNode(AddNodeRequest.newBuilder()
            .setNode(node(id, NodeType.NODE_TYPE_OBJECT)).build())));
      }
      for (Future<AddNodeResponse> add : adds) {
        assertTrue(add.get(60, TimeUnit.SECONDS).getSuccess());
      }
    } finally {
      pool.shutdown();
    }
  }

  /** Every object node's points, as gitstratum's {@code get_ring_entries} lists them. */
  private static List<HashRingEntry> ringOf(GetClusterStateResponse state) {
    List<HashRingEntry> entries = new ArrayList<>();
    int points = state.getHashRingConfig().getVirtualNodesPerPhysical();
    for (NodeInfo node : state.getObjectNodesList()) {
      for (int i = 0; i < points; i++) {
        entries.add(HashRingEntry.newBuilder()
            .setPosition(RingHashing.pointPosition(node.getId(), i)).setNodeId(node.getId())
            .build());
      }
    }
    entries.sort(Comparator.comparing(HashRingEntry::getPosition, Long::compareUnsigned));
    return entries;
  }

  private static int indexOf(List<String> events, String kind) {
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).startsWith(kind)) {
        return i;
      }
    }
    throw new AssertionError(kind + " not in " + events);
  }
}
