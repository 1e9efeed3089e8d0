package io.gitstratum.coordinator.bench.storm;

import static io.gitstratum.coordinator.bench.storm.Census.count;
import static io.gitstratum.coordinator.bench.storm.Census.in;
import static io.gitstratum.coordinator.bench.storm.Census.inZone;
import static io.gitstratum.coordinator.bench.storm.StormWorkload.SECTION;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.gitstratum.coordinator.admin.ConfirmDownOutcome;
import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.ConfirmDownResponse;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.measure.AsyncStorm;
import io.gitstratum.coordinator.bench.measure.PromText;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The liveness storms of issue 23 on one fleet in 3 zones, one after another on one replica
 * (suspect 3 s, down 6 s): every node silent until all are SUSPECT, then all
 * heartbeating at once (revival); one zone silent while the others heartbeat (mass silence);
 * one ConfirmDown of 1,000 of that zone's SUSPECT nodes; every node deregistered at once. Node
 * states are read from etcd (GetTopology, linearizable).
 */
final class FleetStorms {
  /**
   * Each agent's heartbeat period, within the 3 s lease: a renewal then finds at most a third of
   * the lease left, so a replica shedding load never refuses it (it refuses only nodes with more
   * than half left). The advised 1 s would be 10,000 heartbeats/s for 10,000 nodes, past what one
   * replica on two cores takes (README, heartbeat capacity): the storms would measure shedding.
   */
  private static final Duration BEAT_PERIOD = Duration.ofSeconds(2);
  private static final int CONFIRM_DOWN = 1_000;
  private static final String SILENT_ZONE = "a";

  private final Rig rig;
  private final Report report;
  private final int nodes;
  private final StormNodes fleet = new StormNodes("obj");
  private Replica replica;

  FleetStorms(Rig rig, Report report, int nodes) {
    this.rig = rig;
    this.report = report;
    this.nodes = nodes;
  }

  void run() throws Exception {
    replica = new Replica(rig.facade(FacadeProfile.STORM_LIVENESS));
    report.figure(SECTION, "facade.storm.fleet.nodes", nodes, "1",
        "in 3 zones, 4 labels each; suspect 3 s, down 6 s; agents heartbeat every 2 s");
    try (HeartbeatPump agents = new HeartbeatPump(nodes, BEAT_PERIOD, i -> replica.calls(i)
        .withDeadlineAfter(3, TimeUnit.SECONDS).heartbeat(fleet.beat(i)))) {
      registerAll(agents);
      revival(agents);
      List<NodeInfo> silenced = massSilence(agents);
      confirmDown(silenced);
      agents.beating(i -> false);
      deregistration();
      agents.failures().forEach((code, n) -> report.figure(SECTION,
          "facade.storm.fleet.agent_heartbeat_errors." + code, n, "1",
          "the agents' periodic heartbeats over all phases (not retried)"));
    }
  }

  /**
   * Registers the fleet from 1,000 callers; each node's agent heartbeats from its registration
   * on, as at a cold start (registering first and heartbeating later would let every node
   * registered more than 3 s before the last go SUSPECT, and set-up would be a revival storm).
   */
  private void registerAll(HeartbeatPump agents) throws Exception {
    AtomicIntegerArray up = new AtomicIntegerArray(nodes);
    agents.beating(i -> up.get(i) == 1);
    AsyncStorm.Outcome o = AsyncStorm.run(nodes, 1_000, Duration.ofSeconds(120),
        i -> Futures.transform(replica.calls(i).withDeadlineAfter(30, TimeUnit.SECONDS)
            .registerNode(fleet.register(i)), answer -> {
              up.set(i, 1);
              return answer;
            }, MoreExecutors.directExecutor()));
    report.figure(SECTION, "facade.storm.fleet.register_s", o.seconds(), "s",
        "setting up the fleet (1,000 callers; agents heartbeat from registration on)");
    StormWorkload.outcome(report, "facade.storm.fleet.register", o);
    replica.census().await("all ACTIVE after registration", Duration.ofSeconds(60),
        all -> count(all, in(NodeState.NODE_STATE_ACTIVE)) == nodes);
  }

  private void revival(HeartbeatPump agents) throws Exception {
    String p = "facade.storm.revive";
    agents.beating(i -> false);
    long silent = System.nanoTime();
    List<NodeInfo> suspect = replica.census().await("all SUSPECT", Duration.ofSeconds(60),
        all -> count(all, in(NodeState.NODE_STATE_SUSPECT).or(in(NodeState.NODE_STATE_DOWN)))
            == nodes);
    report.figure(SECTION, p + ".all_suspect_s", seconds(silent), "s",
        "from the last heartbeats to every node SUSPECT (suspect timeout 3 s)");
    report.figure(SECTION, p + ".down_before", count(suspect, in(NodeState.NODE_STATE_DOWN)),
        "1", "DOWN when all were SUSPECT (every zone disrupted: expected 0)");

    EtcdCosts costs = EtcdCosts.begin(rig, Map.of("replica", replica.process().pid()));
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    AtomicLong maxDown = new AtomicLong();
    try {
      // The storm is each agent's first heartbeat after the partition. The agents resume half
      // a period later, so each node's next heartbeat comes 1-3 s after the storm began: before
      // the lease its revival granted (3 s) runs out, and mostly after the revival itself.
      later.schedule(() -> agents.beating(i -> true), BEAT_PERIOD.toMillis() / 2,
          TimeUnit.MILLISECONDS);
      AsyncStorm.Outcome o = AsyncStorm.run(nodes, nodes, Duration.ofSeconds(60),
          i -> replica.calls(i).withDeadlineAfter(30, TimeUnit.SECONDS)
              .heartbeat(fleet.beat(i)));
      report.figure(SECTION, p + ".answered_s", o.seconds(), "s",
          "every node's heartbeat sent at once, until the last answer");
      StormWorkload.outcome(report, p, o);
      replica.census().await("all ACTIVE after the revival", Duration.ofSeconds(60), all -> {
        maxDown.accumulateAndGet(count(all, in(NodeState.NODE_STATE_DOWN)), Math::max);
        return count(all, in(NodeState.NODE_STATE_ACTIVE)) == nodes;
      });
    } finally {
      later.shutdownNow();
    }
    report.figure(SECTION, p + ".all_active_s", seconds(start), "s",
        "from the storm's first heartbeat to every node ACTIVE in etcd");
    report.figure(SECTION, p + ".down", maxDown.get(), "1",
        "most DOWN seen during the revival (must be 0)");
    costs.report(rig, report, SECTION, p, nodes, "node");
    report.note(SECTION, "Revival costs run from the storm's first heartbeat to every node ACTIVE "
        + "in etcd, and include the agents' periodic heartbeats from 1 s on (lease renewals: "
        + "no raft proposals, but CPU and received bytes).");
  }

  /** Zone a goes silent, the others keep heartbeating; returns the nodes once a is SUSPECT. */
  private List<NodeInfo> massSilence(HeartbeatPump agents) throws Exception {
    String p = "facade.storm.silence";
    Predicate<NodeInfo> inA = inZone(SILENT_ZONE);
    long zoneNodes = java.util.stream.IntStream.range(0, nodes)
        .filter(i -> StormNodes.zoneOf(i).equals(SILENT_ZONE)).count();
    agents.beating(i -> !StormNodes.zoneOf(i).equals(SILENT_ZONE));
    long silent = System.nanoTime();
    long[] downWhenProtected = {-1};
    double[] protectedAfter = {Double.NaN};
    List<NodeInfo> zoneSuspect = replica.census().await("zone " + SILENT_ZONE + " SUSPECT",
        Duration.ofSeconds(60), all -> {
          if (downWhenProtected[0] < 0 && protectedZones() >= 1) {
            protectedAfter[0] = seconds(silent);
            downWhenProtected[0] = count(all, inA.and(in(NodeState.NODE_STATE_DOWN)));
          }
          return count(all, inA.and(in(NodeState.NODE_STATE_SUSPECT)
              .or(in(NodeState.NODE_STATE_DOWN)))) == zoneNodes;
        });
    report.figure(SECTION, p + ".zone_nodes", zoneNodes, "1", "silent zone of 3");
    report.figure(SECTION, p + ".all_suspect_s", seconds(silent), "s",
        "from silence to the whole zone SUSPECT");
    report.figure(SECTION, p + ".protected_after_s", protectedAfter[0], "s",
        "from silence to the replica's detector_protected_zones >= 1 (polled every 100 ms)");
    report.figure(SECTION, p + ".down_before_protected", downWhenProtected[0], "1",
        "DOWN in the zone at the first poll that saw it protected (expected 0)");
    report.figure(SECTION, p + ".down_at_all_suspect",
        count(zoneSuspect, inA.and(in(NodeState.NODE_STATE_DOWN))), "1",
        "DOWN in the zone when all its nodes were SUSPECT or DOWN (at most 1 per 6 s)");
    report.figure(SECTION, p + ".down_elsewhere",
        count(zoneSuspect, inA.negate().and(in(NodeState.NODE_STATE_DOWN))), "1",
        "DOWN in the heartbeating zones (must be 0)");
    return zoneSuspect;
  }

  private double protectedZones() {
    try {
      return PromText.scrape(replica.process().metricsUrl())
          .sum("gitstratum_coordinator_detector_protected_zones");
    } catch (java.io.IOException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  private void confirmDown(List<NodeInfo> silenced) throws Exception {
    String p = "facade.storm.confirm_down";
    List<String> ids = silenced.stream().filter(inZone(SILENT_ZONE)
        .and(in(NodeState.NODE_STATE_SUSPECT))).map(NodeInfo::getId).limit(CONFIRM_DOWN)
        .toList();
    long start = System.nanoTime();
    ConfirmDownResponse answer = replica.admin().withDeadlineAfter(30, TimeUnit.SECONDS)
        .confirmDown(ConfirmDownRequest.newBuilder().addAllNodeIds(ids).build());
    report.figure(SECTION, p + ".nodes", ids.size(), "1", "SUSPECT nodes in one call");
    report.figure(SECTION, p + ".answer_ms", seconds(start) * 1000, "ms");
    report.figure(SECTION, p + ".results_down", answer.getNodesList().stream()
        .filter(n -> n.getResult() == ConfirmDownOutcome.Result.RESULT_DOWN).count(), "1",
        "nodes the answer says were written DOWN");
    Set<String> named = Set.copyOf(ids);
    long down = count(replica.census().nodes(),
        n -> named.contains(n.getId()) && n.getState() == NodeState.NODE_STATE_DOWN);
    report.figure(SECTION, p + ".down_in_etcd", down, "1",
        "of them DOWN in etcd right after the answer");
    report.figure(SECTION, p + ".not_down", ids.size() - down, "1",
        "of them not DOWN in etcd right after the answer (must be 0)");
    Map<ConfirmDownOutcome.Result, Long> others = answer.getNodesList().stream()
        .filter(n -> n.getResult() != ConfirmDownOutcome.Result.RESULT_DOWN)
        .collect(Collectors.groupingBy(ConfirmDownOutcome::getResult, Collectors.counting()));
    others.forEach((result, n) -> report.figure(SECTION, p + ".results_" + result.name()
        .toLowerCase().replace("result_", ""), n, "1", "per-node outcomes other than DOWN"));
  }

  private void deregistration() throws Exception {
    String p = "facade.storm.deregister";
    long start = System.nanoTime();
    AsyncStorm.Outcome o = AsyncStorm.run(nodes, nodes, Duration.ofSeconds(60),
        i -> replica.calls(i).withDeadlineAfter(30, TimeUnit.SECONDS)
            .deregisterNode(fleet.deregister(i)));
    StormWorkload.outcome(report, p, o);
    replica.census().await("all deregistered", Duration.ofSeconds(60), List::isEmpty);
    report.figure(SECTION, p + ".all_gone_s", seconds(start), "s",
        "every node's DeregisterNode sent at once, until none is left in etcd");
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
