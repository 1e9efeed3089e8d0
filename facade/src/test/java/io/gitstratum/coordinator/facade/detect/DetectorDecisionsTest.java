package io.gitstratum.coordinator.facade.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.detect.DetectorDecisions.Decision;
import io.gitstratum.coordinator.facade.detect.DetectorDecisions.Kind;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The detector's decisions on a fake clock, in the interleavings the real-etcd tests only meet
 * by chance: a decision still on its way to etcd, a write that failed, a lease back before its
 * delay ran out, the DOWN rate, an operator's pause and zone protection together.
 */
class DetectorDecisionsTest {
  private static final long T0 = 1_000_000;
  private static final Duration SUSPECT_TIMEOUT = Duration.ofSeconds(2);

  private final Set<String> alive = new HashSet<>();
  private final Set<String> grace = new HashSet<>();
  private final LivenessView liveness = new LivenessView() {
    @Override
    public boolean hasAlive(String nodeId) {
      return alive.contains(nodeId);
    }

    @Override
    public boolean hasGrace(String nodeId) {
      return grace.contains(nodeId);
    }

    @Override
    public boolean isDrained(String nodeId) {
      return false;
    }
  };
  private final ZoneProtection zones = new ZoneProtection("zone", 0.55, 3, 20_000, 4_000);
  private final DetectorDecisions decisions = new DetectorDecisions(
      new FlapDamper(2, Duration.ofMinutes(10), SUSPECT_TIMEOUT), zones, 2);

  private static NodeInfo node(String id, NodeState state) {
    return NodeInfo.newBuilder().setId(id).setState(state).build();
  }

  @Test
  void aLapsedLeaseIsSuspectedOnceUntilItsWriteEnds() {
    NodeInfo n = node("n", NodeState.NODE_STATE_ACTIVE);
    Optional<Decision> first = decisions.look(n, liveness, false, T0);
    assertEquals(Optional.of(new Decision(Kind.SUSPECT, "n")), first);
    assertEquals(Optional.empty(), decisions.look(n, liveness, false, T0 + 10),
        "no second decision while the first is on its way");
    decisions.written(first.get(), false, T0 + 20); // the write failed
    assertEquals(first, decisions.look(n, liveness, false, T0 + 30), "decided again");
  }

  @Test
  void aFlappingNodeWaitsOneMoreSuspectTimeoutAndALeaseBackInTimeIsForgotten() {
    NodeInfo n = node("n", NodeState.NODE_STATE_ACTIVE);
    for (long t : new long[] {T0, T0 + 60_000}) {
      decisions.written(decisions.look(n, liveness, false, t).orElseThrow(), true, t);
    }
    long t = T0 + 120_000;
    assertEquals(Optional.empty(), decisions.look(n, liveness, false, t), "flapping: wait");
    assertEquals(Set.of("n"), decisions.waiting());
    alive.add("n"); // it heartbeats again before the extra delay runs out
    assertEquals(Optional.empty(), decisions.look(n, liveness, false, t + 1_000));
    assertEquals(Set.of(), decisions.waiting());
    alive.remove("n");
    assertEquals(Optional.empty(), decisions.look(n, liveness, false, t + 1_500),
        "its delay starts again from this lapse");
    assertEquals(Optional.of(new Decision(Kind.SUSPECT, "n")),
        decisions.look(n, liveness, false, t + 1_500 + SUSPECT_TIMEOUT.toMillis()));
  }

  @Test
  void downWaitsForTheGraceKeyThePauseAndTheRatePerSecond() {
    List<NodeInfo> suspects = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      suspects.add(node("s" + i, NodeState.NODE_STATE_SUSPECT));
      alive.add("a" + i);
    }
    grace.add("s0");
    assertEquals(Optional.empty(), decisions.look(suspects.get(0), liveness, false, T0),
        "its grace period runs");
    grace.clear();
    for (NodeInfo s : suspects) {
      assertEquals(Optional.empty(), decisions.look(s, liveness, true, T0), "paused");
    }
    assertEquals(Set.of("s0", "s1", "s2"), decisions.waiting());
    List<Optional<Decision>> unpaused = suspects.stream()
        .map(s -> decisions.look(s, liveness, false, T0 + 1)).toList();
    assertEquals(List.of(Optional.of(new Decision(Kind.DOWN, "s0")),
        Optional.of(new Decision(Kind.DOWN, "s1")), Optional.empty()), unpaused,
        "two per second");
    assertEquals(Set.of("s2"), decisions.waiting());
    assertEquals(Optional.of(new Decision(Kind.DOWN, "s2")),
        decisions.look(suspects.get(2), liveness, false, T0 + 1_000), "the next second");
  }

  @Test
  void aProtectedZoneLetsOneDownThroughPerIntervalAndThePauseOverridesIt() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      nodes.add(node("a" + i, NodeState.NODE_STATE_SUSPECT).toBuilder()
          .putLabels("zone", "a").build());
    }
    nodes.add(node("a4", NodeState.NODE_STATE_ACTIVE).toBuilder().putLabels("zone", "a").build());
    for (int i = 0; i < 3; i++) { // zone b healthy: zone a alone is disrupted, not every zone
      nodes.add(node("b" + i, NodeState.NODE_STATE_ACTIVE).toBuilder().putLabels("zone", "b")
          .build());
    }
    alive.addAll(Set.of("a4", "b0", "b1", "b2"));
    zones.observe(Topology.of(1, nodes, HashRingConfig.getDefaultInstance()), liveness, 0, T0);
    assertEquals(Optional.of(new Decision(Kind.DOWN, "a0")),
        decisions.look(nodes.get(0), liveness, false, T0));
    assertEquals(Optional.empty(), decisions.look(nodes.get(1), liveness, false, T0 + 3_999));
    assertEquals(Optional.empty(), decisions.look(nodes.get(1), liveness, true, T0 + 4_000),
        "paused by an operator, whatever the zone allows");
    assertEquals(Optional.of(new Decision(Kind.DOWN, "a1")),
        decisions.look(nodes.get(1), liveness, false, T0 + 4_000));
  }

  @Test
  void aNewLeaderGoesOnWithTheRateTheSlowZoneAndTheFlapsItsPredecessorsUsed() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      nodes.add(node("a" + i, NodeState.NODE_STATE_SUSPECT).toBuilder()
          .putLabels("zone", "a").build());
    }
    for (int i = 0; i < 4; i++) {
      nodes.add(node("b" + i, NodeState.NODE_STATE_SUSPECT).toBuilder()
          .putLabels("zone", "b").build());
    }
    for (int i = 0; i < 3; i++) {
      nodes.add(node("c" + i, NodeState.NODE_STATE_ACTIVE).toBuilder().putLabels("zone", "c")
          .build());
      alive.add("c" + i);
    }
    zones.observe(Topology.of(1, nodes, HashRingConfig.getDefaultInstance()), liveness, 0, T0);
    // The old leader: zone a's last DOWN 1 s ago (one per 4 s there), two DOWNs this second
    // (the rate is 2), and node c0 suspected twice within the flap window.
    decisions.recall(new DetectorMemory(List.of(new DetectorMemory.Suspicion("c0", T0 - 60_000),
        new DetectorMemory.Suspicion("c0", T0 - 30_000)), Map.of("a", T0 - 1_000), 2,
        OptionalLong.empty()), T0);
    assertEquals(Optional.empty(), decisions.look(nodes.get(4), liveness, false, T0),
        "--down-rate: this second's two went DOWN under the old leader");
    assertEquals(Optional.of(new Decision(Kind.DOWN, "b0")),
        decisions.look(nodes.get(4), liveness, false, T0 + 1_000));
    assertEquals(Optional.empty(), decisions.look(nodes.get(0), liveness, false, T0 + 2_999),
        "zone a: 4 s after the old leader's DOWN, not after the new leader started");
    assertEquals(Optional.of(new Decision(Kind.DOWN, "a0")),
        decisions.look(nodes.get(0), liveness, false, T0 + 3_000));
    alive.remove("c0");
    assertEquals(Optional.empty(), decisions.look(nodes.get(8), liveness, false, T0 + 3_000),
        "flapping: suspected twice under the old leader, it waits one more suspect timeout");
  }

  @Test
  void nodesGoneFromTheTopologyAreForgottenAndANewLeaderStartsAfresh() {
    decisions.look(node("gone", NodeState.NODE_STATE_SUSPECT), liveness, true, T0);
    decisions.look(node("kept", NodeState.NODE_STATE_SUSPECT), liveness, true, T0);
    decisions.forget("gone"::equals);
    assertEquals(Set.of("kept"), decisions.waiting());
    decisions.clear();
    assertEquals(Set.of(), decisions.waiting());
  }
}
