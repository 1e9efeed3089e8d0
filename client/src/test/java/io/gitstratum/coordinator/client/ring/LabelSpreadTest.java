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

  private static ConsistentHashRing ring(int nodes, Set<String> draining) {
    List<RingMember> members = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      members.add(new RingMember("obj-" + i, draining.contains("obj-" + i)));
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
    assertTrue(spread.spreads(false));
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
      ring.walkFrom(position, false, id -> {
        if (used.add(labels.get(id).get("zone"))) {
          expected.add(id);
        }
        return expected.size() < 3;
      });
      assertEquals(expected, spread.replicasForPosition(position, false));
    }
  }

  @Test
  void tooFewZonesFallBackToExactlyThePlainPlacement() {
    ConsistentHashRing ring = ring(6, Set.of());
    LabelSpread spread = spread(ring, zones(6, 2, Set.of()));
    assertFalse(spread.spreads(false));
    for (int k = 0; k < KEYS; k++) {
      assertEquals(ring.replicasFor("key-" + k), spread.replicasFor("key-" + k));
      assertEquals(ring.replicasForWrite("key-" + k), spread.replicasForWrite("key-" + k));
    }
  }

  @Test
  void nodesWithoutTheLabelShareOneGroup() {
    // obj-1..obj-4 unlabeled (one group ""), obj-5 in z2, obj-6 in z0: three groups in all.
    ConsistentHashRing ring = ring(6, Set.of());
    Set<String> unlabeled = Set.of("obj-1", "obj-2", "obj-3", "obj-4");
    Map<String, Map<String, String>> labels = zones(6, 3, unlabeled);
    LabelSpread spread = spread(ring, labels);
    assertTrue(spread.spreads(false));
    for (int k = 0; k < KEYS; k++) {
      List<String> replicas = spread.replicasFor("key-" + k);
      long unlabeledCount = replicas.stream().filter(unlabeled::contains).count();
      assertEquals(1, unlabeledCount, replicas.toString());
    }
    // With only obj-1..obj-5 the groups are "" and z2: fewer than 3, so plain placement.
    ConsistentHashRing five = ring(5, Set.of());
    assertFalse(spread(five, zones(5, 3, unlabeled)).spreads(false));
  }

  @Test
  void writesCountOnlyNonDrainingZonesAndSkipDrainingNodes() {
    // obj-3 and obj-6 are z0; draining both leaves two zones for writes, three for reads.
    ConsistentHashRing ring = ring(6, Set.of("obj-3", "obj-6"));
    Map<String, Map<String, String>> labels = zones(6, 3, Set.of());
    LabelSpread spread = spread(ring, labels);
    assertTrue(spread.spreads(false));
    assertFalse(spread.spreads(true));
    for (int k = 0; k < KEYS; k++) {
      String key = "key-" + k;
      assertEquals(ring.replicasForWrite(key), spread.replicasForWrite(key));
      assertTrue(spread.replicasFor(key).stream().map(id -> labels.get(id).get("zone"))
          .distinct().count() == 3);
    }
    ConsistentHashRing oneDraining = ring(6, Set.of("obj-3"));
    LabelSpread writes = spread(oneDraining, labels);
    assertTrue(writes.spreads(true));
    for (int k = 0; k < KEYS; k++) {
      List<String> replicas = writes.replicasForWrite("key-" + k);
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
  void theWalkVisitsEveryEligibleMemberOnceInPlacementOrder() {
    ConsistentHashRing ring = ring(7, Set.of("obj-2"));
    long position = RingHashing.keyPosition("walk".getBytes());
    List<String> all = new ArrayList<>();
    ring.walkFrom(position, false, all::add);
    assertEquals(7, new HashSet<>(all).size());
    assertEquals(ring.replicasForPosition(position), all.subList(0, 3));
    List<String> writable = new ArrayList<>();
    ring.walkFrom(position, true, writable::add);
    assertEquals(6, writable.size());
    assertFalse(writable.contains("obj-2"));
    assertEquals(ring.replicasForPositionWrite(position), writable.subList(0, 3));
    List<String> stopped = new ArrayList<>();
    ring.walkFrom(position, false, id -> stopped.add(id) && stopped.size() < 2);
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
