package io.gitstratum.coordinator.facade.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc.CoordinatorAdminBlockingStub;
import io.gitstratum.coordinator.admin.DetectorEvent;
import io.gitstratum.coordinator.admin.DetectorState;
import io.gitstratum.coordinator.admin.DrainNodeRequest;
import io.gitstratum.coordinator.admin.GetDetectorStateRequest;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.admin.PauseDetectorRequest;
import io.gitstratum.coordinator.admin.ResumeDetectorRequest;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.Heartbeater;
import io.gitstratum.coordinator.facade.it.PerTestFacades;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.security.ErrorDetails;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admin service on real etcd with suspect 2 s / down 4 s, in plaintext (every caller may;
 * authorization is MutualTlsTest's): pause holds DOWN and resume releases it, confirm-down is
 * immediate even under zone protection, drain sticks, and the history of a scripted scenario
 * has every transition once with its reason and actor.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminServiceTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(4);

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private CoordinatorServiceBlockingStub nodes;
  private CoordinatorAdminBlockingStub admin;
  private FacadeServer server;

  @BeforeEach
  void start() {
    FacadeHarness harness = facades.harness();
    server = harness.start(facades.cluster(), FacadeHarness::fastLiveness);
    nodes = harness.stub(server);
    admin = CoordinatorAdminGrpc.newBlockingStub(harness.channel(server))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> !state().getLeaderId().isEmpty());
  }

  @Test
  void aPauseHoldsDownUntilResumed() {
    try (Heartbeater beats = new Heartbeater(List.of(nodes))) {
      register(beats, 10);
      DetectorState paused = admin.pauseDetector(
          PauseDetectorRequest.newBuilder().setReason("rack 7 maintenance").build());
      assertTrue(paused.getPaused());
      assertEquals("rack 7 maintenance", paused.getPauseReason());
      assertTrue(paused.getPausedBy().startsWith("ip:"), paused.getPausedBy());
      beats.stop("n0");
      beats.stop("n1");
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> count(NodeState.NODE_STATE_SUSPECT) == 2);
      // Well past their grace periods: SUSPECT, not DOWN.
      Awaitility.await().during(DOWN_TIMEOUT.multipliedBy(2)).atMost(DOWN_TIMEOUT.multipliedBy(3))
          .until(() -> count(NodeState.NODE_STATE_DOWN) == 0);
      assertTrue(state().getPaused(), "every replica's state says paused");
      long resumed = System.nanoTime();
      assertEquals(false, admin.resumeDetector(ResumeDetectorRequest.getDefaultInstance())
          .getPaused());
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> count(NodeState.NODE_STATE_DOWN) == 2);
      System.out.printf("after resume: 2 DOWN in %.2f s%n", (System.nanoTime() - resumed) / 1e9);
      assertEquals(8, count(NodeState.NODE_STATE_ACTIVE));
      // The history has the pause and the resume, by whom and why, among the changes; a resume
      // of nothing records nothing.
      admin.resumeDetector(ResumeDetectorRequest.getDefaultInstance());
      GetHistoryResponse history = admin.getHistory(GetHistoryRequest.newBuilder()
          .setLimit(1000).build());
      List<DetectorEvent> events = history.getDetectorEventsList();
      assertEquals(List.of("paused", "resumed"), events.stream().map(DetectorEvent::getKind)
          .toList(), history.toString());
      assertEquals("rack 7 maintenance", events.get(0).getReason());
      assertEquals(paused.getPausedBy(), events.get(0).getActor());
      assertEquals(paused.getPausedBy(), events.get(1).getActor());
      assertTrue(events.get(1).getAt() >= events.get(0).getAt());
      assertTrue(history.getOldestRetainedAt() > 0, "how far back the history goes");
      assertEquals(history.getChanges(0).getVersion(), history.getOldestRetainedVersion());
    }
  }

  @Test
  void confirmDownIsImmediateEvenWhileZoneProtectionHoldsDown() {
    try (Heartbeater beats = new Heartbeater(List.of(nodes))) {
      register(beats, 10);
      List<String> lost = IntStream.range(0, 7).mapToObj(i -> "n" + i).toList();
      lost.forEach(beats::stop);
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> count(NodeState.NODE_STATE_SUSPECT) == 7);
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> state().getDownPausedUntil() > System.currentTimeMillis());
      ErrorDetails.expect(assertThrows(StatusRuntimeException.class,
          () -> admin.confirmDown(ConfirmDownRequest.newBuilder().addNodeIds("n0")
              .addNodeIds("n9").build())), Status.Code.FAILED_PRECONDITION, "NODE_STATE");
      assertEquals(7, count(NodeState.NODE_STATE_SUSPECT), "a refused confirmation writes nothing");
      long asked = System.nanoTime();
      long version = admin.confirmDown(ConfirmDownRequest.newBuilder().addAllNodeIds(lost).build())
          .getTopologyVersion();
      assertEquals(7, count(NodeState.NODE_STATE_DOWN), "DOWN when the call returns");
      System.out.printf("confirm-down of 7 nodes: %.3f s%n", (System.nanoTime() - asked) / 1e9);
      assertEquals(version, nodes.getTopology(GetTopologyRequest.newBuilder()
          .setLinearizable(true).build()).getVersion());
      assertEquals(3, count(NodeState.NODE_STATE_ACTIVE));
      // Zone protection is in the history, by the detector, with what it saw.
      List<DetectorEvent> events = admin.getHistory(GetHistoryRequest.getDefaultInstance())
          .getDetectorEventsList();
      assertTrue(events.stream().anyMatch(e -> e.getKind().equals("zone protected")
          && e.getActor().startsWith("detector:") && e.getReason().contains("live nodes SUSPECT")),
          events.toString());
      assertTrue(events.stream().anyMatch(e -> e.getKind().equals("down paused")),
          events.toString());
    }
  }

  @Test
  void aDrainSurvivesSuspectAndRevivalUntilANewGenerationRegisters() {
    try (Heartbeater beats = new Heartbeater(List.of(nodes))) {
      register(beats, 4); // n0 drained; n1..n3 keep the zone from being disrupted
      admin.drainNode(DrainNodeRequest.newBuilder().setNodeId("n0").build());
      beats.stop("n0");
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> state("n0") == NodeState.NODE_STATE_SUSPECT);
      beats.start("n0", "g-n0", 500);
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> state("n0") != NodeState.NODE_STATE_SUSPECT);
      assertEquals(NodeState.NODE_STATE_DRAINING, state("n0"), "revived DRAINING, not ACTIVE");
      beats.stop("n0");
      nodes.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node("n0")
          .toBuilder().setGenerationId("g-n0-restarted")).build());
      assertEquals(NodeState.NODE_STATE_JOINING, state("n0"));
      nodes.heartbeat(HeartbeatRequest.newBuilder().setNodeId("n0")
          .setGenerationId("g-n0-restarted").build());
      assertEquals(NodeState.NODE_STATE_ACTIVE, state("n0"), "a new generation starts afresh");
    }
  }

  private NodeState state(String id) {
    return nodes.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getObjectNodesList().stream().filter(n -> n.getId().equals(id)).findFirst()
        .orElseThrow().getState();
  }

  @Test
  void historySaysWhyAndWhoForEveryTransitionOnce() {
    try (Heartbeater beats = new Heartbeater(List.of(nodes))) {
      register(beats, 1); // registered, then ACTIVE by its first heartbeat
      beats.stop("n0");
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> count(NodeState.NODE_STATE_DOWN) == 1); // lease, then grace expired
      beats.start("n0", "g-n0", 500);
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> count(NodeState.NODE_STATE_ACTIVE) == 1); // heartbeat revived
      admin.drainNode(DrainNodeRequest.newBuilder().setNodeId("n0").build());
      beats.stop("n0");
      nodes.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("n0").build());
    }
    String detector = "detector:" + state().getLeaderId();
    List<Change> changes = admin.getHistory(GetHistoryRequest.newBuilder().setNodeId("n0")
        .build()).getChangesList();
    List<String> seen = changes.stream().map(c -> c.getKind() + " " + c.getPreviousState()
        + " -> " + c.getState() + " " + c.getReason() + " "
        + (c.getActor().startsWith("ip:") ? "ip" : c.getActor())).toList();
    assertEquals(List.of(
        "added NODE_STATE_UNKNOWN -> NODE_STATE_JOINING registered ip",
        "updated NODE_STATE_JOINING -> NODE_STATE_ACTIVE heartbeat reported ip",
        "updated NODE_STATE_ACTIVE -> NODE_STATE_SUSPECT lease expired " + detector,
        "updated NODE_STATE_SUSPECT -> NODE_STATE_DOWN grace expired " + detector,
        "updated NODE_STATE_DOWN -> NODE_STATE_ACTIVE heartbeat revived ip",
        "updated NODE_STATE_ACTIVE -> NODE_STATE_DRAINING drained by operator ip",
        "removed NODE_STATE_DRAINING -> NODE_STATE_UNKNOWN deregistered ip"), seen);
    for (int i = 1; i < changes.size(); i++) {
      assertTrue(changes.get(i).getVersion() > changes.get(i - 1).getVersion());
      assertTrue(changes.get(i).getAt() >= changes.get(i - 1).getAt());
    }
    assertEquals(2, admin.getHistory(GetHistoryRequest.newBuilder().setNodeId("n0").setLimit(2)
        .build()).getChangesCount(), "the newest two");
    assertEquals(List.of("removed"), admin.getHistory(GetHistoryRequest.newBuilder()
            .setSinceVersion(changes.get(5).getVersion()).build()).getChangesList().stream()
        .map(Change::getKind).toList());
    // Oldest first pages forward: the first two of n0, then every change after a version in
    // order, a page at a time, each change once (what coordctl watch --since reads).
    assertEquals(List.of("added", "updated"), admin.getHistory(GetHistoryRequest.newBuilder()
        .setNodeId("n0").setLimit(2).setOldestFirst(true).build()).getChangesList().stream()
        .map(Change::getKind).toList());
    List<Long> paged = new ArrayList<>();
    long after = changes.get(0).getVersion() - 1;
    for (int page = 0; page < 100; page++) {
      List<Change> got = admin.getHistory(GetHistoryRequest.newBuilder().setSinceVersion(after)
          .setLimit(3).setOldestFirst(true).build()).getChangesList();
      if (got.isEmpty()) {
        break;
      }
      assertTrue(got.size() <= 3);
      got.forEach(c -> paged.add(c.getVersion()));
      after = got.get(got.size() - 1).getVersion();
    }
    assertEquals(LongStream.rangeClosed(changes.get(0).getVersion(),
        changes.get(changes.size() - 1).getVersion()).boxed().toList(), paged,
        "every version from n0's registration on, once, in order");
    ErrorDetails.expect(assertThrows(StatusRuntimeException.class, () -> admin.getHistory(
        GetHistoryRequest.newBuilder().setLimit(5000).build())), Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
  }

  private void register(Heartbeater beats, int n) {
    for (int i = 0; i < n; i++) {
      NodeInfo node = TestNodes.node("n" + i);
      nodes.registerNode(RegisterNodeRequest.newBuilder().setNode(node).build());
      beats.start("n" + i, "g-n" + i, 500);
    }
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> count(NodeState.NODE_STATE_ACTIVE) == n);
  }

  private DetectorState state() {
    return admin.getDetectorState(GetDetectorStateRequest.getDefaultInstance());
  }

  private long count(NodeState state) {
    return nodes.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getObjectNodesList().stream().filter(n -> n.getState() == state).count();
  }
}
