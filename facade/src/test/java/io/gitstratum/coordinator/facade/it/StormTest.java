package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.gitstratum.coordinator.admin.ConfirmDownOutcome;
import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.ConfirmDownResponse;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceFutureStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Storms at sizes that trip etcd's transaction limits (default {@code --max-txn-ops} 128):
 * 2,000 nodes in 3 zones registered, revived, silenced and deregistered all at once, and one
 * ConfirmDown of 1,000 nodes. Every call of a storm is answered OK (no "outcome unknown"), and
 * the topology ends as the storm meant. Suspect 3 s, down 6 s, heartbeat 1 s.
 */
@Tag("etcd")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StormTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int NODES = 2_000;
  private static final List<String> ZONES = List.of("a", "b", "c");

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private CoordinatorServiceFutureStub calls;
  private CoordinatorAdminGrpc.CoordinatorAdminBlockingStub admin;

  @BeforeEach
  void start() {
    FacadeHarness harness = facades.harness();
    // Suspect 3 s, down 6 s: storms of 2,000 calls take seconds on two shared cores.
    FacadeServer server = harness.start(facades.cluster(), config -> config.withLiveness(
        config.liveness().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(6))));
    ManagedChannel channel = harness.channel(server);
    calls = CoordinatorServiceGrpc.newFutureStub(channel);
    admin = CoordinatorAdminGrpc.newBlockingStub(channel);
  }

  private static String id(int i) {
    return "obj-" + i;
  }

  private static String zoneOf(int i) {
    return ZONES.get(i % ZONES.size());
  }

  private static NodeInfo node(int i, String generation) {
    return NodeInfo.newBuilder().setId(id(i)).setAddress("10.1." + (i / 250) + "." + (i % 250))
        .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(generation)
        .putLabels("zone", zoneOf(i)).putLabels("rack", "r" + (i % 40))
        .putLabels("disk", "nvme").putLabels("pool", "p" + (i % 7)).build();
  }

  /**
   * Sends one call per node at once, as a client following the facade's advice would: an
   * UNAVAILABLE answer is sent again after a short wait (at most three more rounds), so what
   * is left is what such a client could not recover from. Answers saying the outcome is not
   * known are counted: a storm must have none.
   *
   * @return the last answer per node counted by status code, and "unknown outcome" under
   *     {@link Status.Code#UNKNOWN} if there were any
   */
  private <A> Map<Status.Code, Integer> storm(List<Integer> nodes,
      Function<Integer, ListenableFuture<A>> call) throws InterruptedException {
    Map<Status.Code, Integer> codes = new TreeMap<>();
    List<Integer> pending = nodes;
    for (int round = 0; round < 4 && !pending.isEmpty(); round++) {
      if (round > 0) {
        Thread.sleep(500);
      }
      List<ListenableFuture<A>> answers = new ArrayList<>(pending.size());
      for (int i : pending) {
        answers.add(call.apply(i));
      }
      List<Integer> again = new ArrayList<>();
      for (int k = 0; k < answers.size(); k++) {
        Status status = answer(answers.get(k));
        if (status.getDescription() != null && status.getDescription().contains("not known")) {
          codes.merge(Status.Code.UNKNOWN, 1, Integer::sum);
        }
        if (status.getCode() == Status.Code.UNAVAILABLE && round < 3) {
          again.add(pending.get(k));
        } else {
          codes.merge(status.getCode(), 1, Integer::sum);
        }
      }
      pending = again;
    }
    return codes;
  }

  private static Status answer(ListenableFuture<?> answer) throws InterruptedException {
    try {
      answer.get(60, TimeUnit.SECONDS);
      return Status.OK;
    } catch (ExecutionException e) {
      return Status.fromThrowable(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      return Status.DEADLINE_EXCEEDED;
    }
  }

  /**
   * Heartbeats {@code nodes} every second until closed, as their agents would: each on its own
   * clock, not waiting for the others' answers.
   */
  private AutoCloseable heartbeating(List<Integer> nodes) {
    ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();
    pump.scheduleAtFixedRate(() -> nodes.forEach(this::heartbeat), 1_000, 1_000,
        TimeUnit.MILLISECONDS);
    return pump::shutdownNow;
  }

  private ListenableFuture<?> register(int i) {
    return calls.withDeadlineAfter(30, TimeUnit.SECONDS).registerNode(
        RegisterNodeRequest.newBuilder().setNode(node(i, "g1")).build());
  }

  private ListenableFuture<?> heartbeat(int i) {
    return calls.withDeadlineAfter(30, TimeUnit.SECONDS).heartbeat(HeartbeatRequest.newBuilder()
        .setNodeId(id(i)).setGenerationId("g1").build());
  }

  private GetTopologyResponse topology() throws Exception {
    return calls.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .get(10, TimeUnit.SECONDS);
  }

  private long count(Predicate<NodeInfo> which) throws Exception {
    return topology().getObjectNodesList().stream().filter(which).count();
  }

  private static Predicate<NodeInfo> in(NodeState state) {
    return node -> node.getState() == state;
  }

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  private static void print(String what, Map<Status.Code, Integer> codes, long startedNanos) {
    System.out.printf("storm: %s %s in %.2f s%n", what, codes,
        (System.nanoTime() - startedNanos) / 1e9);
  }

  @Test
  void registrationRevivalAndDeregistrationStormsAreAllAnswered() throws Exception {
    List<Integer> all = range(NODES);
    long t0 = System.nanoTime();
    Map<Status.Code, Integer> registered = storm(all, this::register);
    print("registration of " + NODES, registered, t0);
    assertEquals(Map.of(Status.Code.OK, NODES), registered);
    assertEquals(NODES, topology().getObjectNodesCount());

    // The nodes' agents start: every node heartbeats at once, then every second.
    t0 = System.nanoTime();
    try (AutoCloseable agents = heartbeating(all)) {
      Map<Status.Code, Integer> joined = storm(all, this::heartbeat);
      print("first heartbeats (JOINING->ACTIVE)", joined, t0);
      assertEquals(Map.of(Status.Code.OK, NODES), joined);
      Awaitility.await().atMost(Duration.ofSeconds(15))
          .until(() -> count(in(NodeState.NODE_STATE_ACTIVE)) == NODES);
    }

    // Every zone goes silent: protection pauses SUSPECT->DOWN everywhere.
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> count(in(NodeState.NODE_STATE_SUSPECT).or(in(NodeState.NODE_STATE_DOWN)))
            == NODES);
    assertEquals(0, count(in(NodeState.NODE_STATE_DOWN)), "no DOWN while every zone is silent");

    // The partition heals: every node heartbeats at once.
    t0 = System.nanoTime();
    try (AutoCloseable agents = heartbeating(all)) {
      Map<Status.Code, Integer> revived = storm(all, this::heartbeat);
      print("revival of " + NODES, revived, t0);
      assertEquals(Map.of(Status.Code.OK, NODES), revived, "no 'outcome unknown' answers");
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> count(in(NodeState.NODE_STATE_ACTIVE)) == NODES);
      print("all ACTIVE", Map.of(), t0);
    }

    t0 = System.nanoTime();
    Map<Status.Code, Integer> gone = storm(all, i -> calls.withDeadlineAfter(30, TimeUnit.SECONDS)
        .deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId(id(i)).build()));
    print("deregistration of " + NODES, gone, t0);
    assertEquals(Map.of(Status.Code.OK, NODES), gone);
    assertEquals(0, topology().getObjectNodesCount());
  }

  @Test
  void massSilenceOfOneZoneIsProtectedBeforeAnyNodeGoesDown() throws Exception {
    List<Integer> all = range(NODES);
    assertEquals(Map.of(Status.Code.OK, NODES), storm(all, this::register));
    List<Integer> others = all.stream().filter(i -> !zoneOf(i).equals("a")).toList();
    int zoneA = NODES - others.size();
    try (AutoCloseable agents = heartbeating(all)) {
      assertEquals(Map.of(Status.Code.OK, NODES), storm(all, this::heartbeat));
      Awaitility.await().atMost(Duration.ofSeconds(15))
          .until(() -> count(in(NodeState.NODE_STATE_ACTIVE)) == NODES);
    }
    // Zones b and c keep heartbeating; zone a goes silent at once.
    try (AutoCloseable agents = heartbeating(others)) {
      Predicate<NodeInfo> inA = node -> node.getLabelsOrThrow("zone").equals("a");
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> count(inA.and(in(NodeState.NODE_STATE_SUSPECT)
              .or(in(NodeState.NODE_STATE_DOWN)))) == zoneA);
      long downAtFullSuspicion = count(inA.and(in(NodeState.NODE_STATE_DOWN)));
      // The zone is protected from its first lapsed lease: one DOWN per down timeout (6 s) at
      // most, and none before the first grace period (3 s) ends.
      assertTrue(downAtFullSuspicion <= 1, downAtFullSuspicion + " DOWN in zone a");
      Awaitility.await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
          .until(() -> count(inA.and(in(NodeState.NODE_STATE_DOWN))) <= 3);
      Predicate<NodeInfo> inBc = inA.negate();
      assertEquals(0, count(inBc.and(in(NodeState.NODE_STATE_DOWN))), "none DOWN in b and c");
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> count(inBc.and(in(NodeState.NODE_STATE_ACTIVE))) == others.size());
    }
  }

  @Test
  void confirmDownOfAThousandNodesInOneCallFencesTheirGenerations() throws Exception {
    List<Integer> thousand = range(1_000);
    assertEquals(Map.of(Status.Code.OK, 1_000), storm(thousand, this::register));
    // Registered, never heartbeating: SUSPECT after 2 s; every zone is, so DOWN pauses.
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> count(in(NodeState.NODE_STATE_SUSPECT)) == 1_000);
    long t0 = System.nanoTime();
    ConfirmDownResponse answer = admin.withDeadlineAfter(30, TimeUnit.SECONDS).confirmDown(
        ConfirmDownRequest.newBuilder().addAllNodeIds(thousand.stream().map(StormTest::id)
            .toList()).build());
    print("confirm-down of 1000 in one call", Map.of(), t0);
    assertEquals(1_000, answer.getNodesCount());
    assertTrue(answer.getNodesList().stream()
        .allMatch(n -> n.getResult() == ConfirmDownOutcome.Result.RESULT_DOWN), "each DOWN");
    assertEquals(1_000, count(in(NodeState.NODE_STATE_DOWN)), "DOWN when the call returns");
    assertEquals(answer.getTopologyVersion(), topology().getVersion());
    // The confirmed incarnation cannot heartbeat back; a new one registers as after a restart.
    assertEquals(Map.of(Status.Code.FAILED_PRECONDITION, 1_000),
        storm(thousand, this::heartbeat));
    assertEquals(1_000, count(in(NodeState.NODE_STATE_DOWN)));
    calls.registerNode(RegisterNodeRequest.newBuilder().setNode(node(0, "g2")).build())
        .get(10, TimeUnit.SECONDS);
    assertEquals(1, count(in(NodeState.NODE_STATE_JOINING)));
  }
}
