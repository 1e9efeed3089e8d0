package io.gitstratum.coordinator.client.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.HashRingEntry;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConsistentHashRingTest {

  private static final List<String> FIVE = List.of(
      "object-1", "object-2", "object-3", "object-4", "object-5");

  private static List<RingMember> active(List<String> ids) {
    List<RingMember> members = new ArrayList<>();
    for (String id : ids) {
      members.add(new RingMember(id, true));
    }
    return members;
  }

  private static List<String> ids(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      ids.add("node-" + i);
    }
    return ids;
  }

  /**
   * Independent restatement of the placement rule: a linear scan for the first point at or
   * after the position, then a lap over the points collecting distinct eligible nodes.
   */
  private static List<String> referenceWalk(List<RingPoint> points, long position, int count,
      Set<String> skipped) {
    int start = 0;
    while (start < points.size()
        && Long.compareUnsigned(points.get(start).position(), position) < 0) {
      start++;
    }
    if (start == points.size()) {
      start = 0;
    }
    Set<String> found = new LinkedHashSet<>();
    for (int step = 0; step < points.size() && found.size() < count; step++) {
      String node = points.get((start + step) % points.size()).nodeId();
      if (!skipped.contains(node)) {
        found.add(node);
      }
    }
    return new ArrayList<>(found);
  }

  private static NodeInfo node(String id, NodeType type, NodeState state) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(9000)
        .setType(type).setState(state).build();
  }

  // --- ordering -------------------------------------------------------------------------

  @Test
  void pointsAreSortedByUnsignedPosition() {
    List<RingPoint> points = ConsistentHashRing.of(active(FIVE), 16, 3).points();

    assertEquals(80, points.size());
    for (int i = 1; i < points.size(); i++) {
      assertTrue(Long.compareUnsigned(points.get(i - 1).position(),
          points.get(i).position()) <= 0, "points out of order at " + i);
    }
    // Positions at or above 2^63 are negative as signed longs; unsigned order puts them last.
    assertTrue(points.get(0).position() >= 0, "first point should be small");
    assertTrue(points.get(points.size() - 1).position() < 0,
        "last point should be above Long.MAX_VALUE");
    long aboveSignedMax = points.stream().filter(p -> p.position() < 0).count();
    assertTrue(aboveSignedMax > 0 && aboveSignedMax < points.size());
  }

  @Test
  void pointsAreExactlyEachMembersVirtualNodes() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);

    Set<String> expected = new TreeSet<>();
    for (String id : FIVE) {
      for (int i = 0; i < 16; i++) {
        expected.add(id + "@" + Long.toUnsignedString(RingHashing.pointPosition(id, i)));
      }
    }
    Set<String> actual = new TreeSet<>();
    for (RingPoint point : ring.points()) {
      actual.add(point.nodeId() + "@" + point.positionUnsigned());
    }
    assertEquals(expected, actual);
  }

  @Test
  void pointOrderDoesNotDependOnMemberOrder() {
    List<RingMember> members = active(FIVE);
    List<RingMember> reversed = new ArrayList<>(members);
    Collections.reverse(reversed);

    assertEquals(ConsistentHashRing.of(members, 16, 3).points(),
        ConsistentHashRing.of(reversed, 16, 3).points());
  }

  // --- lookups --------------------------------------------------------------------------

  @Test
  void keyAtAPointPositionBelongsToThatPointAndOneAboveToTheNext() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);
    List<RingPoint> points = ring.points();

    for (int k = 0; k < points.size(); k++) {
      RingPoint point = points.get(k);
      assertEquals(point.nodeId(), ring.replicasForPosition(point.position()).get(0),
          "inclusive at point " + k);
      RingPoint next = points.get((k + 1) % points.size());
      assertEquals(next.nodeId(), ring.replicasForPosition(point.position() + 1).get(0),
          "exclusive after point " + k);
    }
  }

  @Test
  void positionsPastTheLastPointWrapToTheFirst() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);
    List<RingPoint> points = ring.points();
    RingPoint first = points.get(0);
    RingPoint last = points.get(points.size() - 1);
    assertNotEquals(-1L, last.position(), "test needs room above the last point");

    List<String> fromStart = referenceWalk(points, 0L, 3, Set.of());
    assertEquals(first.nodeId(), fromStart.get(0));
    // 2^64 - 1, the largest unsigned position, and the position just past the last point.
    assertEquals(fromStart, ring.replicasForPosition(-1L));
    assertEquals(fromStart, ring.replicasForPosition(last.position() + 1));
    assertEquals(fromStart, ring.replicasForPosition(0L));

    // Starting on the last point, the walk continues from the first point.
    List<String> expected = new ArrayList<>();
    expected.add(last.nodeId());
    for (int k = 0; expected.size() < 3; k++) {
      String node = points.get(k).nodeId();
      if (!expected.contains(node)) {
        expected.add(node);
      }
    }
    assertEquals(expected, ring.replicasForPosition(last.position()));
  }

  @ParameterizedTest(name = "{0} members, {1} vnodes, rf {2}")
  @CsvSource({"1, 1, 1", "3, 1, 3", "3, 4, 2", "4, 16, 3", "7, 16, 3", "12, 8, 5"})
  void lookupsMatchReferenceWalk(int memberCount, int vnodes, int rf) {
    List<String> ids = ids(memberCount);
    ConsistentHashRing ring = ConsistentHashRing.of(active(ids), vnodes, rf);
    Random random = new Random(42L * memberCount + vnodes);

    for (int i = 0; i < 2_000; i++) {
      long position = random.nextLong();
      List<String> replicas = ring.replicasForPosition(position);
      assertEquals(referenceWalk(ring.points(), position, rf, Set.of()), replicas,
          "position " + Long.toUnsignedString(position));
      assertEquals(rf, new LinkedHashSet<>(replicas).size(), "replicas must be distinct");
    }
  }

  @Test
  void stringAndUtf8BytesKeysAgree() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);

    for (String key : List.of("", "a", "repo/linux.git", "Ünïcode-κλειδί")) {
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      assertEquals(ring.replicasForPosition(RingHashing.keyPosition(bytes)),
          ring.replicasFor(key));
      assertEquals(ring.replicasFor(bytes), ring.replicasFor(key));
    }
  }

  @Test
  void replicasAreUnmodifiable() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);

    assertThrows(UnsupportedOperationException.class, () -> ring.replicasFor("k").add("x"));
    assertThrows(UnsupportedOperationException.class,
        () -> ring.replicasFor("k").set(0, "x"));
    assertThrows(UnsupportedOperationException.class, () -> ring.points().remove(0));
    assertThrows(UnsupportedOperationException.class,
        () -> ring.ownershipShares().put("x", 1.0));
  }

  // --- insufficient nodes ---------------------------------------------------------------

  @Test
  void fewerMembersThanReplicationFactorIsAnError() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(List.of("a", "b")), 16, 3);

    InsufficientNodesException e =
        assertThrows(InsufficientNodesException.class, () -> ring.replicasFor("key"));
    assertEquals(3, e.required());
    assertEquals(2, e.available());
    assertThrows(InsufficientNodesException.class, () -> ring.replicasForObjectId(new byte[32]));
    assertThrows(InsufficientNodesException.class, () -> ring.replicasForPosition(0L));
  }

  @Test
  void emptyRingHasNoPointsAndRejectsLookups() {
    ConsistentHashRing ring = ConsistentHashRing.of(List.of(), 16, 3);

    assertEquals(0, ring.memberCount());
    assertTrue(ring.points().isEmpty());
    assertTrue(ring.ownershipShares().isEmpty());
    InsufficientNodesException e =
        assertThrows(InsufficientNodesException.class, () -> ring.replicasFor("key"));
    assertEquals(0, e.available());
    assertTrue(ring.primaryFor("key").isEmpty());
  }

  // --- states -------------------------------------------------------------------------

  @Test
  void replicasSkipMembersThatCannotServeWhileThePrimaryIsWhicheverOwnsThePoint() {
    List<RingMember> members = List.of(new RingMember("a", true), new RingMember("b", true),
        new RingMember("c", false), new RingMember("d", true));
    ConsistentHashRing ring = ConsistentHashRing.of(members, 16, 3);

    int primaryCannotServe = 0;
    for (int i = 0; i < 200; i++) {
      String key = "key-" + i;
      long position = RingHashing.keyPosition(key.getBytes(StandardCharsets.UTF_8));
      List<String> replicas = ring.replicasFor(key);
      assertFalse(replicas.contains("c"), "replica that cannot serve for " + key);
      assertEquals(referenceWalk(ring.points(), position, 3, Set.of("c")), replicas, key);
      String primary = ring.primaryFor(key).orElseThrow();
      assertEquals(referenceWalk(ring.points(), position, 1, Set.of()).get(0), primary, key);
      if (primary.equals("c")) {
        primaryCannotServe++;
      }
    }
    assertTrue(primaryCannotServe > 0, "expected the non-serving member to own some keys");
  }

  @Test
  void replicasNeedEnoughServingMembers() {
    List<RingMember> members = List.of(new RingMember("a", true), new RingMember("b", true),
        new RingMember("c", false));
    ConsistentHashRing ring = ConsistentHashRing.of(members, 16, 3);

    assertEquals(48, ring.points().size());
    InsufficientNodesException e =
        assertThrows(InsufficientNodesException.class, () -> ring.replicasFor("key"));
    assertEquals(3, e.required());
    assertEquals(2, e.available());
    assertTrue(e.getMessage().contains("only 2 ring members can serve"), e.getMessage());
  }

  @Test
  void aStateChangeReusesThePointsAndAMembershipChangeHashesOnlyNewMembers() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (String id : FIVE) {
      nodes.add(node(id, NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_ACTIVE));
    }
    HashRingConfig config = HashRingConfig.getDefaultInstance();
    ConsistentHashRing ring = ConsistentHashRing.fromNodes(nodes, config);

    ConsistentHashRing flipped = ring.withServing("object-2", false);
    assertTrue(flipped.sharesPointsWith(ring));
    assertFalse(flipped.isServing("object-2"));
    assertTrue(ring.isServing("object-2"), "rings are immutable");
    assertSame(flipped, flipped.withServing("object-2", false));

    nodes.set(1, node("object-2", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_SUSPECT));
    ConsistentHashRing updated = ring.update(nodes, config);
    assertTrue(updated.sharesPointsWith(ring));
    assertEquals(4, updated.servingCount());
    assertEquals(flipped.points(), updated.points());

    nodes.add(node("object-6", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_JOINING));
    ConsistentHashRing grown = updated.update(nodes, config);
    assertFalse(grown.sharesPointsWith(updated));
    for (String id : FIVE) {
      assertSame(ring.memberPositions(id), grown.memberPositions(id), id);
    }
    assertEquals(ConsistentHashRing.fromNodes(nodes, config).points(), grown.points());
    assertEquals(96, grown.points().size());

    ConsistentHashRing joined = updated.withMember("object-6", false);
    assertEquals(grown.points(), joined.points());
    assertEquals(grown.members(), joined.members());
    for (String id : FIVE) {
      assertSame(ring.memberPositions(id), joined.memberPositions(id), id);
    }
    ConsistentHashRing left = joined.withoutMember("object-3");
    nodes.remove(2);
    assertEquals(ConsistentHashRing.fromNodes(nodes, config).points(), left.points());
    assertEquals(ConsistentHashRing.fromNodes(nodes, config).members(), left.members());
    assertSame(left, left.withoutMember("object-3"));
  }

  // --- fromNodes ------------------------------------------------------------------------

  @Test
  void fromNodesMakesEveryObjectNodeAMemberServingWhenActiveOrDraining() {
    List<NodeInfo> nodes = List.of(
        node("obj-active", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_ACTIVE),
        node("obj-suspect", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_SUSPECT),
        node("obj-draining", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_DRAINING),
        node("obj-joining", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_JOINING),
        node("obj-down", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_DOWN),
        node("obj-unknown", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_UNKNOWN),
        node("meta-active", NodeType.NODE_TYPE_METADATA, NodeState.NODE_STATE_ACTIVE),
        node("fe-active", NodeType.NODE_TYPE_FRONTEND, NodeState.NODE_STATE_ACTIVE),
        node("untyped-active", NodeType.NODE_TYPE_UNKNOWN, NodeState.NODE_STATE_ACTIVE));
    HashRingConfig config = HashRingConfig.newBuilder()
        .setVirtualNodesPerPhysical(4).setReplicationFactor(2).build();

    ConsistentHashRing ring = ConsistentHashRing.fromNodes(nodes, config);

    assertEquals(6, ring.memberCount());
    assertEquals(24, ring.points().size());
    Set<String> pointNodes = new TreeSet<>();
    ring.points().forEach(p -> pointNodes.add(p.nodeId()));
    assertEquals(Set.of("obj-active", "obj-suspect", "obj-draining", "obj-joining", "obj-down",
        "obj-unknown"), pointNodes);
    assertEquals(pointNodes, ring.ownershipShares().keySet());
    assertEquals(2, ring.servingCount());
    for (int i = 0; i < 50; i++) {
      assertEquals(Set.of("obj-active", "obj-draining"), Set.copyOf(ring.replicasFor("k" + i)));
    }
  }

  @Test
  void fromNodesWithZeroConfigUsesDefaults() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (String id : FIVE) {
      nodes.add(node(id, NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_ACTIVE));
    }

    ConsistentHashRing ring =
        ConsistentHashRing.fromNodes(nodes, HashRingConfig.getDefaultInstance());

    assertEquals(16, ConsistentHashRing.DEFAULT_VIRTUAL_NODES);
    assertEquals(3, ConsistentHashRing.DEFAULT_REPLICATION_FACTOR);
    assertEquals(16, ring.virtualNodesPerPhysical());
    assertEquals(3, ring.replicationFactor());
    assertEquals(ConsistentHashRing.of(active(FIVE), 16, 3).points(), ring.points());
  }

  @Test
  void fromNodesHonoursExplicitConfig() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (String id : FIVE) {
      nodes.add(node(id, NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_ACTIVE));
    }
    HashRingConfig config = HashRingConfig.newBuilder()
        .setVirtualNodesPerPhysical(7).setReplicationFactor(2).build();

    ConsistentHashRing ring = ConsistentHashRing.fromNodes(nodes, config);

    assertEquals(7, ring.virtualNodesPerPhysical());
    assertEquals(2, ring.replicationFactor());
    assertEquals(35, ring.points().size());
    assertEquals(2, ring.replicasFor("key").size());
  }

  @Test
  void fromNodesRejectsConfigValuesBeyondIntRange() {
    List<NodeInfo> nodes = List.of(
        node("a", NodeType.NODE_TYPE_OBJECT, NodeState.NODE_STATE_ACTIVE));
    // uint32 4294967295 arrives in Java as -1.
    HashRingConfig config = HashRingConfig.newBuilder().setVirtualNodesPerPhysical(-1).build();

    assertThrows(IllegalArgumentException.class,
        () -> ConsistentHashRing.fromNodes(nodes, config));
  }

  // --- ownership ------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} members, {1} vnodes")
  @CsvSource({"1, 1", "1, 16", "2, 1", "3, 16", "5, 16", "10, 64", "40, 16"})
  void ownershipSharesSumToOneAndMatchExactArcs(int memberCount, int vnodes) {
    ConsistentHashRing ring = ConsistentHashRing.of(active(ids(memberCount)), vnodes, 1);
    Map<String, Double> shares = ring.ownershipShares();

    assertEquals(memberCount, shares.size());
    double sum = shares.values().stream().mapToDouble(Double::doubleValue).sum();
    assertEquals(1.0, sum, 1e-9);

    // Exact arcs: each point owns (previous point, itself], the first one wrapping around.
    BigInteger keySpace = BigInteger.ONE.shiftLeft(64);
    List<RingPoint> points = ring.points();
    Map<String, BigInteger> exact = new HashMap<>();
    for (int k = 0; k < points.size(); k++) {
      BigInteger here = new BigInteger(points.get(k).positionUnsigned());
      BigInteger previous = new BigInteger(
          points.get((k + points.size() - 1) % points.size()).positionUnsigned());
      BigInteger arc = here.subtract(previous).mod(keySpace);
      exact.merge(points.get(k).nodeId(), arc, BigInteger::add);
    }
    if (points.size() == 1) {
      exact.put(points.get(0).nodeId(), keySpace);
    }
    for (Map.Entry<String, BigInteger> entry : exact.entrySet()) {
      double expected = new BigDecimal(entry.getValue())
          .divide(new BigDecimal(keySpace)).doubleValue();
      assertEquals(expected, shares.get(entry.getKey()), 1e-12, entry.getKey());
    }
  }

  @Test
  void ownershipIsMeasuredBackwardsFromEachPoint() {
    // Two points: the share of the node at the lower position is the arc that wraps from
    // the higher point, which differs from the forward arc unless the points are opposite.
    ConsistentHashRing ring = ConsistentHashRing.of(active(List.of("a", "b")), 1, 1);
    RingPoint low = ring.points().get(0);
    RingPoint high = ring.points().get(1);
    double wrapArc = new BigDecimal(new BigInteger(low.positionUnsigned())
        .add(BigInteger.ONE.shiftLeft(64))
        .subtract(new BigInteger(high.positionUnsigned())))
        .divide(new BigDecimal(BigInteger.ONE.shiftLeft(64))).doubleValue();

    assertEquals(wrapArc, ring.ownershipShares().get(low.nodeId()), 1e-12);
    assertEquals(1.0 - wrapArc, ring.ownershipShares().get(high.nodeId()), 1e-12);
  }

  // --- object ids -----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 20, 31, 33, 64})
  void objectIdOfWrongLengthIsRejected(int length) {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);

    assertThrows(IllegalArgumentException.class,
        () -> ring.replicasForObjectId(new byte[length]));
  }

  @Test
  void objectIdIsPlacedAtItsOwnPrefix() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);
    byte[] oid = new byte[32];
    for (int i = 0; i < 32; i++) {
      oid[i] = (byte) (0xa0 + i);
    }
    long prefix = ByteBuffer.wrap(oid)
        .order(ByteOrder.LITTLE_ENDIAN).getLong(0);

    assertEquals(ring.replicasForPosition(prefix), ring.replicasForObjectId(oid));
  }

  // --- protobuf and value types ---------------------------------------------------------

  @Test
  void toEntriesFollowsPointOrder() {
    ConsistentHashRing ring = ConsistentHashRing.of(active(FIVE), 16, 3);
    List<HashRingEntry> entries = ring.toEntries();

    assertEquals(ring.points().size(), entries.size());
    for (int i = 0; i < entries.size(); i++) {
      assertEquals(ring.points().get(i).position(), entries.get(i).getPosition());
      assertEquals(ring.points().get(i).nodeId(), entries.get(i).getNodeId());
    }
  }

  @Test
  void invalidConstructionArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> ConsistentHashRing.of(active(FIVE), 0, 3));
    assertThrows(IllegalArgumentException.class,
        () -> ConsistentHashRing.of(active(FIVE), 16, 0));
    assertThrows(IllegalArgumentException.class,
        () -> ConsistentHashRing.of(active(List.of("a", "b", "a")), 16, 1));
    List<RingMember> withNull = new ArrayList<>(active(FIVE));
    withNull.add(null);
    assertThrows(NullPointerException.class, () -> ConsistentHashRing.of(withNull, 16, 3));
    assertThrows(IllegalArgumentException.class, () -> new RingMember("", true));
  }

  @Test
  void ringPointPrintsUnsignedPosition() {
    assertEquals("18446744073709551615", new RingPoint(-1L, "n").positionUnsigned());
    assertEquals("9223372036854775808", new RingPoint(Long.MIN_VALUE, "n").positionUnsigned());
    assertEquals("42", new RingPoint(42L, "n").positionUnsigned());
  }
}
