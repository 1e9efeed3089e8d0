package io.gitstratum.coordinator.facade.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Zone protection on a fake clock: down timeout 4 s, pause limit 20 s, one DOWN per 4 s. */
class ZoneProtectionTest {
  private static final long PAUSE_MS = 20_000;
  private static final long INTERVAL_MS = 4_000;

  private final ZoneProtection protection =
      new ZoneProtection("zone", 0.55, 3, PAUSE_MS, INTERVAL_MS);
  private final List<NodeInfo> nodes = new ArrayList<>();
  private long version;

  private void add(String zone, NodeState state, int count) {
    for (int i = 0; i < count; i++) {
      NodeInfo.Builder node = NodeInfo.newBuilder().setId(zone + "-" + state + "-" + nodes.size())
          .setState(state);
      if (!zone.isEmpty()) {
        node.putLabels("zone", zone);
      }
      nodes.add(node.build());
    }
  }

  private final Set<String> leaseLost = new HashSet<>();

  /** Every node's alive key is there unless the node is SUSPECT or in {@link #leaseLost}. */
  private final LivenessView leases = new LivenessView() {
    @Override
    public boolean hasAlive(String nodeId) {
      return !leaseLost.contains(nodeId) && !nodeId.contains("-" + NodeState.NODE_STATE_SUSPECT);
    }

    @Override
    public boolean hasGrace(String nodeId) {
      return false;
    }

    @Override
    public boolean isDrained(String nodeId) {
      return false;
    }
  };

  private Topology topology() {
    return Topology.of(++version, nodes, HashRingConfig.getDefaultInstance());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // zones as name:live:lost, ...                  | every zone disrupted (pause)
      "a:10:10, b:10:10, -:1:0                         | true",
      "a:10:10, b:10:10, -:1:1                         | true",
      "a:10:10, b:10:10, c:2:0                         | true",
      "a:10:10, b:10:2, -:1:1                          | false",
      "a:10:10                                         | true",
      "x:1:1, y:1:1, z:1:0                             | false",
      "x:1:1, y:1:1, z:1:1                             | true",
      "x:1:1, y:1:0, z:1:0                             | false",
      "x:2:2                                           | false",
      "a:10:10, b:10:10, c:3:3, d:2:2, e:1:1           | true",
  })
  void theAllZonesPauseHoldsForAnyMixOfZoneSizes(String zones, boolean everyZone) {
    for (String zone : zones.split(",")) {
      String[] z = zone.trim().split(":");
      String name = z[0].equals("-") ? "" : z[0];
      int live = Integer.parseInt(z[1]);
      int lost = Integer.parseInt(z[2]);
      add(name, NodeState.NODE_STATE_SUSPECT, lost);
      add(name, NodeState.NODE_STATE_ACTIVE, live - lost);
    }
    assertEquals(everyZone, protection.observe(topology(), leases, 0, 1_000).paused(1_000));
  }

  @Test
  void leasesGoneCountBeforeTheirSuspectRecordsAreWritten() {
    add("a", NodeState.NODE_STATE_ACTIVE, 10);
    add("b", NodeState.NODE_STATE_ACTIVE, 10);
    Topology topology = topology();
    assertEquals(List.of(), protection.disrupted(topology, leases));
    // Zone a's leases expire; the detector has written SUSPECT for two of them so far.
    nodes.stream().filter(n -> n.getId().startsWith("a-")).forEach(n -> leaseLost.add(n.getId()));
    assertEquals(List.of(new ZoneProtection.Zone("a", 10, 10, -1)),
        protection.disrupted(topology, leases));
    ZoneProtection.State state = protection.observe(topology, leases, 1, 5_000);
    assertEquals(5_000, state.zones().get(0).sinceMs(), "judged again when only leases changed");
    assertTrue(protection.allows("a", 5_000), "one DOWN per interval in a protected zone");
    protection.wentDown("a", 5_000);
    assertFalse(protection.allows("a", 5_000 + INTERVAL_MS - 1));
  }

  @ParameterizedTest(name = "{0} suspect of {1} live -> {2}")
  @CsvSource({"7, 10, true", "6, 10, true", "5, 10, false", "2, 10, false", "1, 1, false",
      "2, 2, false", "3, 3, true", "4, 5, true"})
  void aZoneIsDisruptedWhenMostOfItsLiveNodesAreSuspect(int suspect, int live, boolean expected) {
    add("a", NodeState.NODE_STATE_SUSPECT, suspect);
    add("a", NodeState.NODE_STATE_ACTIVE, live - suspect);
    assertEquals(expected, !protection.disrupted(topology(), leases).isEmpty());
  }

  @Test
  void downAndUnlabelledNodesCountAsExpected() {
    // DOWN nodes are not live: 4 of 6 live are suspect (67 %); nodes without the label: zone "".
    add("", NodeState.NODE_STATE_SUSPECT, 4);
    add("", NodeState.NODE_STATE_ACTIVE, 1);
    add("", NodeState.NODE_STATE_JOINING, 1);
    add("", NodeState.NODE_STATE_DOWN, 10);
    assertEquals(List.of(new ZoneProtection.Zone("", 6, 4, -1)),
        protection.disrupted(topology(), leases));
    add("", NodeState.NODE_STATE_DRAINING, 1);
    add("", NodeState.NODE_STATE_ACTIVE, 1);
    assertEquals(List.of(), protection.disrupted(topology(), leases));
  }

  @Test
  void everyZoneDisruptedPausesDownForThePauseLimitThenOnePerInterval() {
    add("", NodeState.NODE_STATE_SUSPECT, 6);
    add("", NodeState.NODE_STATE_ACTIVE, 4);
    long t0 = 1_000_000;
    ZoneProtection.State state = protection.observe(topology(), leases, 0, t0);
    assertEquals(t0 + PAUSE_MS, state.pausedUntilMs());
    assertEquals(t0, state.zones().get(0).sinceMs());
    assertFalse(protection.allows("", t0));
    protection.observe(topology(), leases, 0, t0 + PAUSE_MS - 1);
    assertFalse(protection.allows("", t0 + PAUSE_MS - 1), "still within the pause");
    long end = t0 + PAUSE_MS;
    protection.observe(topology(), leases, 0, end);
    assertTrue(protection.allows("", end), "the pause is bounded");
    protection.wentDown("", end);
    assertFalse(protection.allows("", end + INTERVAL_MS - 1), "then one per interval");
    assertTrue(protection.allows("", end + INTERVAL_MS));
    assertEquals(t0, protection.state().zones().get(0).sinceMs(), "since stays the first sight");
  }

  @Test
  void oneDisruptedZoneOfTwoSlowsDownWithoutPausingAndLeavesTheOtherAlone() {
    add("a", NodeState.NODE_STATE_SUSPECT, 4);
    add("a", NodeState.NODE_STATE_ACTIVE, 1);
    add("b", NodeState.NODE_STATE_ACTIVE, 4);
    add("b", NodeState.NODE_STATE_SUSPECT, 1);
    long t0 = 5_000;
    ZoneProtection.State state = protection.observe(topology(), leases, 0, t0);
    assertEquals(0, state.pausedUntilMs(), "not every zone is disrupted: no pause");
    assertEquals(List.of("a"), state.zones().stream().map(ZoneProtection.Zone::name).toList());
    assertTrue(protection.allows("a", t0));
    protection.wentDown("a", t0);
    assertFalse(protection.allows("a", t0 + 1_000));
    assertTrue(protection.allows("b", t0 + 1_000), "zone b goes at the normal rate");
    protection.wentDown("b", t0 + 1_000);
    assertTrue(protection.allows("b", t0 + 1_001));
    assertTrue(protection.allows("a", t0 + INTERVAL_MS));
  }

  @Test
  void aPauseEndsWhenNotEveryZoneIsDisruptedAnyMoreAndStartsAfreshNextTime() {
    add("a", NodeState.NODE_STATE_SUSPECT, 3);
    add("b", NodeState.NODE_STATE_SUSPECT, 3);
    protection.observe(topology(), leases, 0, 0);
    assertEquals(PAUSE_MS, protection.state().pausedUntilMs());
    nodes.removeIf(n -> n.getLabelsOrDefault("zone", "").equals("b"));
    add("b", NodeState.NODE_STATE_ACTIVE, 3);
    ZoneProtection.State state = protection.observe(topology(), leases, 0, 1_000);
    assertEquals(0, state.pausedUntilMs());
    assertTrue(protection.allows("a", 1_000), "a alone: slow rate, no pause");
    nodes.removeIf(n -> n.getLabelsOrDefault("zone", "").equals("b"));
    add("b", NodeState.NODE_STATE_SUSPECT, 3);
    assertEquals(50_000 + PAUSE_MS, protection.observe(topology(), leases, 0, 50_000).pausedUntilMs());
  }

  @Test
  void aZoneThatRecoversForgetsItsSince() {
    add("a", NodeState.NODE_STATE_SUSPECT, 3);
    add("b", NodeState.NODE_STATE_ACTIVE, 3);
    protection.observe(topology(), leases, 0, 1_000);
    nodes.clear();
    add("a", NodeState.NODE_STATE_ACTIVE, 3);
    add("b", NodeState.NODE_STATE_ACTIVE, 3);
    assertFalse(protection.observe(topology(), leases, 0, 2_000).protecting());
    nodes.clear();
    add("a", NodeState.NODE_STATE_SUSPECT, 3);
    add("b", NodeState.NODE_STATE_ACTIVE, 3);
    assertEquals(3_000, protection.observe(topology(), leases, 0, 3_000).zones().get(0).sinceMs());
  }

  @Test
  void aChangingTopologyIsJudgedAtMostEveryHalfSecond() {
    add("a", NodeState.NODE_STATE_ACTIVE, 10);
    add("b", NodeState.NODE_STATE_ACTIVE, 10);
    assertFalse(protection.observe(topology(), leases, 0, 1_000).protecting());
    nodes.stream().filter(n -> n.getId().startsWith("a-")).forEach(n -> leaseLost.add(n.getId()));
    assertFalse(protection.observe(topology(), leases, 1, 1_000 + ZoneProtection.JUDGE_EVERY_MS
        - 1).protecting(), "judged again only after the interval");
    assertTrue(protection.observe(topology(), leases, 2, 1_000 + ZoneProtection.JUDGE_EVERY_MS)
        .protecting());
  }
}
