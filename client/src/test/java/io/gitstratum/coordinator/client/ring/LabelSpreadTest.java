package io.gitstratum.coordinator.client.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LabelSpreadTest {
  private static final int KEYS = 2000;

  private static ConsistentHashRing ring(int nodes, Set<String> notServing) {
    List<RingMember> members = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      members.add(new RingMember("obj-" + i, !notServing.contains("obj-" + i)));
    }
    return ConsistentHashRing.of(members, 16, 3);
  }

  /** obj-i is in zone z(i mod zones); ids listed in {@code unlabeled} have no zone. */
  private static Map<String, Map<String, String>> zones(int nodes, int zones,
      Set<String> unlabeled) {
    Map<String, Map<String, String>> labels = new HashMap<>();
    for (int i = 1; i <= nodes; i++) {
      String id = "obj-" + i;
      labels.put(id, unlabeled.contains(id) ? Map.of("rack", "r1")
          : Map.of("zone", "z" + (i % zones)));
    }
    return labels;
  }

  private static LabelSpread spread(ConsistentHashRing ring,
      Map<String, Map<String, String>> labels) {
    return LabelSpread.of(ring, "zone", labels::get);
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 4, 5})
  void enoughZonesGiveEveryReplicaItsOwnZoneAndKeepThePlainPrimary(int zones) {
    ConsistentHashRing ring = ring(9, Set.of());
    Map<String, Map<String, String>> labels = zones(9, zones, Set.of());
    LabelSpread spread = spread(ring, labels);
    assertTrue(spread.spreads());
    for (int k = 0; k < KEYS; k++) {
      String key = "key-" + k;
      List<String> replicas = spread.replicasFor(key);
      assertEquals(3, replicas.size());
      Set<String> seenZones = new HashSet<>();
      replicas.forEach(id -> seenZones.add(labels.get(id).get("zone")));
      assertEquals(3, seenZones.size(), key + " -> " + replicas);
      assertEquals(ring.replicasFor(key).get(0), replicas.get(0));
      assertEquals(replicas, spread.replicasFor(key), "deterministic");
    }
  }

  @Test
  void replicasAreTheFirstOfEachNewZoneAlongThePlainWalk() {
    ConsistentHashRing ring = ring(8, Set.of());
    Map<String, Map<String, String>> labels = zones(8, 3, Set.of());
    LabelSpread spread = spread(ring, labels);
    for (int k = 0; k < 200; k++) {
      long position = RingHashing.keyPosition(("k" + k).getBytes());
      List<String> expected = new ArrayList<>();
      Set<String> used = new HashSet<>();
      ring.walkFrom(position, id -> {
        if (used.add(labels.get(id).get("zone"))) {
          expected.add(id);
        }
        return expected.size() < 3;
      });
      assertEquals(expected, spread.replicasForPosition(position));
    }
  }

  @Test
  void tooFewZonesFallBackToExactlyThePlainPlacement() {
    ConsistentHashRing ring = ring(6, Set.of());
    LabelSpread spread = spread(ring, zones(6, 2, Set.of()));
    assertFalse(spread.spreads());
    for (int k = 0; k < KEYS; k++) {
      assertEquals(ring.replicasFor("key-" + k), spread.replicasFor("key-" + k));
    }
  }

  @Test
  void nodesWithoutTheLabelShareOneGroup() {
    // obj-1..obj-4 unlabeled (one group ""), obj-5 in z2, obj-6 in z0: three groups in all.
    ConsistentHashRing ring = ring(6, Set.of());
    Set<String> unlabeled = Set.of("obj-1", "obj-2", "obj-3", "obj-4");
    Map<String, Map<String, String>> labels = zones(6, 3, unlabeled);
    LabelSpread spread = spread(ring, labels);
    assertTrue(spread.spreads());
    for (int k = 0; k < KEYS; k++) {
      List<String> replicas = spread.replicasFor("key-" + k);
      long unlabeledCount = replicas.stream().filter(unlabeled::contains).count();
      assertEquals(1, unlabeledCount, replicas.toString());
    }
    // With only obj-1..obj-5 the groups are "" and z2: fewer than 3, so plain placement.
    ConsistentHashRing five = ring(5, Set.of());
    assertFalse(spread(five, zones(5, 3, unlabeled)).spreads());
  }

  @Test
  void onlyServingMembersCountAsZonesOrAreTaken() {
    // obj-3 and obj-6 are z0; with both not serving two zones remain: plain placement.
    ConsistentHashRing ring = ring(6, Set.of("obj-3", "obj-6"));
    Map<String, Map<String, String>> labels = zones(6, 3, Set.of());
    LabelSpread spread = spread(ring, labels);
    assertFalse(spread.spreads());
    for (int k = 0; k < KEYS; k++) {
      String key = "key-" + k;
      assertEquals(ring.replicasFor(key), spread.replicasFor(key));
    }
    ConsistentHashRing oneDown = ring(6, Set.of("obj-3"));
    LabelSpread spreadOneDown = spread(oneDown, labels);
    assertTrue(spreadOneDown.spreads());
    for (int k = 0; k < KEYS; k++) {
      List<String> replicas = spreadOneDown.replicasFor("key-" + k);
      assertFalse(replicas.contains("obj-3"));
      assertEquals(3, replicas.stream().map(id -> labels.get(id).get("zone")).distinct().count());
    }
  }

  @Test
  void tooFewNodesIsStillAnError() {
    ConsistentHashRing ring = ring(2, Set.of());
    LabelSpread spread = spread(ring, zones(2, 2, Set.of()));
    assertThrows(InsufficientNodesException.class, () -> spread.replicasFor("k"));
  }

  @Test
  void theWalkVisitsEveryServingMemberOnceInPlacementOrder() {
    ConsistentHashRing ring = ring(7, Set.of("obj-2"));
    long position = RingHashing.keyPosition("walk".getBytes());
    List<String> serving = new ArrayList<>();
    ring.walkFrom(position, serving::add);
    assertEquals(6, new HashSet<>(serving).size());
    assertEquals(6, serving.size());
    assertFalse(serving.contains("obj-2"));
    assertEquals(ring.replicasForPosition(position), serving.subList(0, 3));
    List<String> stopped = new ArrayList<>();
    ring.walkFrom(position, id -> stopped.add(id) && stopped.size() < 2);
    assertEquals(2, stopped.size());
  }

  @Test
  void sharesFromPointsMatchTheRing() {
    ConsistentHashRing ring = ring(5, Set.of());
    assertEquals(ring.ownershipShares(), RingShares.of(ring.points()));
    List<RingPoint> reversed = new ArrayList<>(ring.points());
    java.util.Collections.reverse(reversed);
    assertEquals(ring.ownershipShares(), RingShares.of(reversed));
    assertEquals(Map.of(), RingShares.of(List.of()));
  }
}
