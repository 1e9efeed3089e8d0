package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.KeyValue;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The detector across a leadership change, and mass-expiry protection. */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DetectorTest {
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

  private static long count(CoordinatorServiceBlockingStub stub, NodeState state) {
    return stub.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getObjectNodesList().stream().filter(n -> n.getState() == state).count();
  }

  private void registerAndBeat(CoordinatorServiceBlockingStub stub, Heartbeater beats, int n) {
    for (int i = 0; i < n; i++) {
      stub.registerNode(RegisterNodeRequest.newBuilder().setNode(LivenessTest.node("n" + i))
          .build());
      beats.start("n" + i, "g-n" + i, 500);
    }
    Awaitility.await().atMost(WAIT).until(() -> count(stub, NodeState.NODE_STATE_ACTIVE) == n);
  }

  @Test
  void anotherReplicaFinishesDetectionAndEachTransitionIsWrittenOnce() throws Exception {
    FacadeServer first = harness.start(cluster, FacadeHarness::fastLiveness);
    CoordinatorServiceBlockingStub firstStub = harness.stub(first);
    Awaitility.await().atMost(WAIT).until(() -> firstStub.getLeader(
        GetLeaderRequest.getDefaultInstance()).getIsLeader());
    FacadeServer second = harness.start(cluster, FacadeHarness::fastLiveness);
    CoordinatorServiceBlockingStub stub = harness.stub(second);
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      registerAndBeat(stub, beats, 6);
      beats.stop("n0");
      beats.stop("n1");
      Awaitility.await().atMost(WAIT).until(() -> count(stub, NodeState.NODE_STATE_SUSPECT) == 2);
      first.close(); // the detector's replica goes away mid-way
      Awaitility.await().atMost(WAIT).until(() -> stub.getLeader(
          GetLeaderRequest.getDefaultInstance()).getIsLeader());
      Awaitility.await().atMost(WAIT).until(() -> count(stub, NodeState.NODE_STATE_DOWN) == 2);
      assertEquals(4, count(stub, NodeState.NODE_STATE_ACTIVE));
    }
    Set<String> transitions = new HashSet<>();
    for (KeyValue kv : harness.etcdPrefix(FacadeHarness.keys(cluster).eventsPrefix())) {
      TopologyUpdate u = RecordCodec.decodeUpdate("e", kv.getValue().getBytes());
      if (u.hasNodeUpdated()) {
        NodeInfo n = u.getNodeUpdated();
        assertTrue(transitions.add(n.getId() + " " + n.getState()),
            "written twice: " + n.getId() + " " + n.getState());
      }
    }
    assertTrue(transitions.containsAll(Set.of("n0 NODE_STATE_SUSPECT", "n0 NODE_STATE_DOWN",
        "n1 NODE_STATE_SUSPECT", "n1 NODE_STATE_DOWN")), transitions.toString());
  }

  @Test
  void aDetectorThatTakesOverGivesTheGraceKeysItFindsTheirFullGrace() throws Exception {
    // The previous detector may have lost its renewal of a grace key with its leadership (or
    // never made it): the new one renews what it finds, so no node's grace is cut short.
    Duration grace = Duration.ofSeconds(3);
    UnaryOperator<FacadeConfig> liveness = c -> c.withLiveness(c.liveness().withTimeouts(
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(2).plus(grace)));
    FacadeServer first = harness.start(cluster, liveness);
    CoordinatorServiceBlockingStub firstStub = harness.stub(first);
    Awaitility.await().atMost(WAIT).until(() -> firstStub.getLeader(
        GetLeaderRequest.getDefaultInstance()).getIsLeader());
    CoordinatorServiceBlockingStub stub = harness.stub(harness.start(cluster, liveness));
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      registerAndBeat(stub, beats, 6);
      beats.stop("n0");
      Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
          .until(() -> count(stub, NodeState.NODE_STATE_SUSPECT) == 1);
      Thread.sleep(grace.toMillis() / 2); // half its grace goes by under the first detector
      assertEquals(0, count(stub, NodeState.NODE_STATE_DOWN), "still within its grace");
      first.close();
      Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> stub
          .getLeader(GetLeaderRequest.getDefaultInstance()).getIsLeader());
      long won = System.nanoTime();
      Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
          .until(() -> count(stub, NodeState.NODE_STATE_DOWN) == 1);
      Duration afterWin = Duration.ofNanos(System.nanoTime() - won);
      assertTrue(afterWin.compareTo(grace.minusMillis(250)) >= 0, "DOWN " + afterWin.toMillis()
          + " ms after the new detector won; its grace of " + grace.toMillis()
          + " ms should have started again then");
    }
  }

  @Test
  void massExpiryKeepsSuspectNodesFromGoingDown() throws Exception {
    CoordinatorServiceBlockingStub stub = harness.stub(
        harness.start(cluster, FacadeHarness::fastLiveness));
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      registerAndBeat(stub, beats, 10);
      for (int i = 0; i < 7; i++) {
        beats.stop("n" + i);
      }
      Awaitility.await().atMost(WAIT).until(() -> count(stub, NodeState.NODE_STATE_SUSPECT) == 7);
      // HealthCheck reports the protection, and which zone, as of the detector's next scan.
      HealthCheckResponse health = Awaitility.await().atMost(Duration.ofSeconds(5)).until(
          () -> stub.healthCheck(HealthCheckRequest.getDefaultInstance()),
          h -> !h.getHealthy() && h.getProtectedZonesCount() == 1);
      assertEquals(7, health.getSuspectNodes());
      assertEquals(List.of("", "10", "7"), List.of(health.getProtectedZones(0).getZone(),
          String.valueOf(health.getProtectedZones(0).getLive()),
          String.valueOf(health.getProtectedZones(0).getSuspect())));
      assertTrue(health.getProtectedZones(0).getSince() > 0, "since when");
      // Well past the down timeout (4 s) of every suspect node: none goes DOWN.
      Awaitility.await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> count(stub, NodeState.NODE_STATE_DOWN) == 0);
      for (int i = 0; i < 7; i++) {
        beats.start("n" + i, "g-n" + i, 500);
      }
      Awaitility.await().atMost(WAIT).until(() -> count(stub, NodeState.NODE_STATE_ACTIVE) == 10);
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(
          () -> stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
    }
  }

  @Test
  void aFewSilentNodesGoDown() throws Exception {
    CoordinatorServiceBlockingStub stub = harness.stub(
        harness.start(cluster, FacadeHarness::fastLiveness));
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      registerAndBeat(stub, beats, 10);
      beats.stop("n0");
      beats.stop("n1");
      Awaitility.await().atMost(WAIT).until(() -> count(stub, NodeState.NODE_STATE_DOWN) == 2);
      assertEquals(8, count(stub, NodeState.NODE_STATE_ACTIVE));
      HealthCheckResponse health = stub.healthCheck(HealthCheckRequest.getDefaultInstance());
      assertTrue(health.getHealthy(), "2 of 10: no zone protected");
      assertEquals(0, health.getProtectedZonesCount());
    }
  }
}
