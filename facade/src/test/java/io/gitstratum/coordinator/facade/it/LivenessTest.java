package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetLeaderResponse;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Heartbeats and two-stage failure detection with suspect 2 s / down 4 s, on real etcd. */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LivenessTest {
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

  private FacadeServer replica() {
    return harness.start(cluster, FacadeHarness::fastLiveness);
  }

  static NodeInfo node(String id) {
    return TestNodes.node(id);
  }

  static HeartbeatRequest beat(String id, NodeState reported) {
    return TestNodes.beat(id, reported);
  }

  private static NodeState stateOf(CoordinatorServiceBlockingStub stub, String id) {
    return stub.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getObjectNodesList().stream().filter(n -> n.getId().equals(id)).findFirst()
        .map(NodeInfo::getState).orElse(NodeState.UNRECOGNIZED);
  }

  @Test
  void silentNodesBecomeSuspectThenDownWithinTheTimeouts() throws Exception {
    FacadeServer a = replica();
    CoordinatorServiceBlockingStub stub = harness.stub(a);
    int nodes = 10;
    int bystanders = 15; // keep heartbeating, so that 10 silent nodes are no mass expiry
    Map<String, Long> suspectAt = new ConcurrentHashMap<>();
    Map<String, Long> downAt = new ConcurrentHashMap<>();
    WatchRecorder watcher = WatchRecorder.watch(harness.channel(a), 0);
    watcher.await(TopologyUpdate::hasFullSync, WAIT);
    Thread recorder = new Thread(() -> {
      int seen = 0;
      while (!Thread.currentThread().isInterrupted()) {
        List<TopologyUpdate> all = watcher.received();
        long now = System.nanoTime();
        for (; seen < all.size(); seen++) {
          TopologyUpdate u = all.get(seen);
          if (u.hasNodeUpdated() && u.getNodeUpdated().getState() == NodeState.NODE_STATE_SUSPECT) {
            suspectAt.putIfAbsent(u.getNodeUpdated().getId(), now);
          } else if (u.hasNodeUpdated()
              && u.getNodeUpdated().getState() == NodeState.NODE_STATE_DOWN) {
            downAt.putIfAbsent(u.getNodeUpdated().getId(), now);
          }
        }
        try {
          Thread.sleep(5); // polling the recorder's list; the timing resolution is 5 ms
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    recorder.start();
    Map<String, Long> lastBeat = new ConcurrentHashMap<>();
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      for (int i = 0; i < nodes + bystanders; i++) {
        stub.registerNode(RegisterNodeRequest.newBuilder().setNode(node("n" + i)).build());
        beats.start("n" + i, "g-n" + i, 500);
      }
      Awaitility.await().atMost(WAIT).until(() -> stub.getTopology(
          GetTopologyRequest.getDefaultInstance()).getObjectNodesList().stream()
          .allMatch(n -> n.getState() == NodeState.NODE_STATE_ACTIVE));
      for (int i = 0; i < nodes; i++) {
        lastBeat.put("n" + i, beats.stop("n" + i));
      }
      Awaitility.await().atMost(WAIT).until(() -> downAt.size() == nodes);
    } finally {
      recorder.interrupt();
    }
    long sumSuspect = 0;
    long maxSuspect = 0;
    long sumDown = 0;
    long maxDown = 0;
    for (String id : lastBeat.keySet()) {
      long suspect = (suspectAt.get(id) - lastBeat.get(id)) / 1_000_000;
      long down = (downAt.get(id) - lastBeat.get(id)) / 1_000_000;
      assertTrue(suspect <= 2_000 + 1_500, id + " SUSPECT after " + suspect + " ms");
      assertTrue(suspect >= 1_500, id + " SUSPECT too early, after " + suspect + " ms");
      assertTrue(down <= 4_000 + 1_500, id + " DOWN after " + down + " ms");
      sumSuspect += suspect;
      sumDown += down;
      maxSuspect = Math.max(maxSuspect, suspect);
      maxDown = Math.max(maxDown, down);
    }
    System.out.printf("detection suspect_timeout_ms 2000 last_heartbeat_to_suspect_mean_ms %d "
        + "max_ms %d%n", sumSuspect / nodes, maxSuspect);
    System.out.printf("detection down_timeout_ms 4000 last_heartbeat_to_down_mean_ms %d "
        + "max_ms %d%n", sumDown / nodes, maxDown);
    watcher.assertGapFree(0);
  }

  @Test
  void heartbeatsReviveSuspectAndDownNodesAndDrainingSticks() throws Exception {
    CoordinatorServiceBlockingStub stub = harness.stub(replica());
    stub.registerNode(RegisterNodeRequest.newBuilder().setNode(node("a")).build());
    stub.heartbeat(beat("a", NodeState.NODE_STATE_UNKNOWN));
    assertEquals(NodeState.NODE_STATE_ACTIVE, stateOf(stub, "a"));

    Awaitility.await().atMost(WAIT).until(() -> stateOf(stub, "a") == NodeState.NODE_STATE_SUSPECT);
    stub.heartbeat(beat("a", NodeState.NODE_STATE_ACTIVE));
    assertEquals(NodeState.NODE_STATE_ACTIVE, stateOf(stub, "a"));

    Awaitility.await().atMost(WAIT).until(() -> stateOf(stub, "a") == NodeState.NODE_STATE_DOWN);
    HeartbeatResponse back = stub.heartbeat(beat("a", NodeState.NODE_STATE_ACTIVE));
    assertEquals(NodeState.NODE_STATE_ACTIVE, stateOf(stub, "a"));
    assertEquals(back.getCurrentVersion(), stub.getTopology(GetTopologyRequest.getDefaultInstance())
        .getVersion());

    stub.heartbeat(beat("a", NodeState.NODE_STATE_DRAINING));
    assertEquals(NodeState.NODE_STATE_DRAINING, stateOf(stub, "a"));
    stub.heartbeat(beat("a", NodeState.NODE_STATE_ACTIVE));
    assertEquals(NodeState.NODE_STATE_DRAINING, stateOf(stub, "a"), "draining is sticky");
  }

  @Test
  void steadyHeartbeatsOverTwoReplicasWriteNothing() throws Exception {
    CoordinatorServiceBlockingStub a = harness.stub(replica());
    CoordinatorServiceBlockingStub b = harness.stub(replica());
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add("n" + i);
      a.registerNode(RegisterNodeRequest.newBuilder().setNode(node("n" + i)).build());
      b.heartbeat(beat("n" + i, NodeState.NODE_STATE_ACTIVE));
    }
    long version = a.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getVersion();
    // Everything written under this cluster's prefix from now on; other tests' leftovers
    // (leases expiring elsewhere in the shared etcd) do not count.
    String prefix = FacadeHarness.keys(cluster).prefix();
    List<String> written = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Watch.Watcher watcher = harness.etcd().getWatchClient().watch(
        FacadeHarness.bytes(prefix), WatchOption.builder().isPrefix(true)
            .withRevision(harness.etcdRevision() + 1).build(),
        response -> response.getEvents().forEach(e ->
            written.add(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8))))) {
      for (int i = 0; i < 200; i++) {
        CoordinatorServiceBlockingStub replica = i % 2 == 0 ? a : b;
        HeartbeatResponse r = replica.heartbeat(beat(ids.get(i % ids.size()),
            NodeState.NODE_STATE_UNKNOWN));
        assertEquals(version, r.getCurrentVersion());
      }
      // A marker written last: once the watch has it, it has everything before it.
      String marker = prefix + "test-marker";
      harness.etcd().getKVClient().put(FacadeHarness.bytes(marker), FacadeHarness.bytes("x"))
          .get(5, TimeUnit.SECONDS);
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> written.contains(marker));
      assertEquals(List.of(marker), written, "200 steady heartbeats wrote nothing");
    }
  }

  @Test
  void heartbeatErrorsAndAdvice() {
    CoordinatorServiceBlockingStub stub = harness.stub(replica());
    stub.registerNode(RegisterNodeRequest.newBuilder().setNode(node("a")).build());
    long revision = harness.etcdRevision();

    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> stub.heartbeat(beat("ghost", NodeState.NODE_STATE_ACTIVE)));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    StatusRuntimeException zombie = assertThrows(StatusRuntimeException.class,
        () -> stub.heartbeat(beat("a", NodeState.NODE_STATE_ACTIVE).toBuilder()
            .setGenerationId("previous-process").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, zombie.getStatus().getCode());
    for (NodeState illegal : List.of(NodeState.NODE_STATE_SUSPECT, NodeState.NODE_STATE_DOWN)) {
      StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
          () -> stub.heartbeat(beat("a", illegal)));
      assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
      assertTrue(bad.getStatus().getDescription().startsWith("reported_state:"));
    }
    assertEquals(revision, harness.etcdRevision(), "refused heartbeats write nothing");

    HeartbeatResponse r = stub.heartbeat(beat("a", NodeState.NODE_STATE_JOINING).toBuilder()
        .setKnownVersion(0).build());
    assertTrue(r.getRefreshRequired());
    assertEquals(1000, r.getHeartbeatIntervalMs());
    assertEquals(2000, r.getSuspectTimeoutMs());
    assertEquals(4000, r.getDownTimeoutMs());
    assertTrue(r.getRaftTerm() > 0);
    Awaitility.await().atMost(WAIT).until(() -> !stub.getLeader(
        GetLeaderRequest.getDefaultInstance()).getLeaderId().isEmpty());
    GetLeaderResponse leader = stub.getLeader(GetLeaderRequest.getDefaultInstance());
    assertTrue(leader.getIsLeader());
    HeartbeatResponse current = stub.heartbeat(beat("a", NodeState.NODE_STATE_JOINING)
        .toBuilder().setKnownVersion(r.getCurrentVersion()).build());
    assertFalse(current.getRefreshRequired());
    assertEquals(leader.getLeaderId(), current.getLeaderId());
    assertEquals(leader.getLeaderAddress(), current.getLeaderAddress());
  }
}
