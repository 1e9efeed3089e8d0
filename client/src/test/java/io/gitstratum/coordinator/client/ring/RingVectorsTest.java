package io.gitstratum.coordinator.client.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reproduces every value of {@code shared/ring-vectors.json}, read at test time. */
class RingVectorsTest {

  static Stream<Arguments> points() {
    return RingVectors.objects(RingVectors.root(), "points").stream()
        .map(p -> Arguments.of(p.get("node_id").getAsString(), p.get("index").getAsInt(),
            p.get("position").getAsString()));
  }

  @ParameterizedTest(name = "{0}#{1} at {2}")
  @MethodSource("points")
  void pointPositionMatchesVector(String nodeId, int index, String expected) {
    assertEquals(expected,
        Long.toUnsignedString(RingHashing.pointPosition(nodeId, index)));
  }

  static Stream<Arguments> keyPositions() {
    return RingVectors.objects(RingVectors.root(), "key_positions").stream()
        .map(k -> Arguments.of(k.get("key_utf8").getAsString(),
            k.get("position").getAsString()));
  }

  @ParameterizedTest(name = "\"{0}\" at {1}")
  @MethodSource("keyPositions")
  void keyPositionMatchesVector(String key, String expected) {
    assertEquals(expected, Long.toUnsignedString(
        RingHashing.keyPosition(key.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void ringHasVectorPointCountAndFirstPositions() {
    JsonObject spec = RingVectors.ring();
    ConsistentHashRing ring = RingVectors.buildRing();

    assertEquals(spec.get("point_count").getAsInt(), ring.points().size());
    List<String> expected = RingVectors.strings(spec, "first_positions");
    List<String> actual = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      actual.add(ring.points().get(i).positionUnsigned());
    }
    assertEquals(expected, actual);
    assertEquals(spec.get("replication_factor").getAsInt(), ring.replicationFactor());
    assertEquals(spec.get("virtual_nodes_per_physical").getAsInt(),
        ring.virtualNodesPerPhysical());
    assertEquals(RingVectors.strings(spec, "nodes").size(), ring.memberCount());
  }

  static Stream<Arguments> keyLookups() {
    return RingVectors.objects(RingVectors.ring(), "lookups").stream()
        .filter(l -> l.has("key_utf8"))
        .map(l -> Arguments.of(l.get("key_utf8").getAsString(),
            RingVectors.strings(l, "replicas")));
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @MethodSource("keyLookups")
  void keyLookupMatchesVector(String key, List<String> expected) {
    ConsistentHashRing ring = RingVectors.buildRing();

    assertEquals(expected, ring.replicasFor(key));
    assertEquals(expected, ring.replicasFor(key.getBytes(StandardCharsets.UTF_8)));
  }

  static Stream<Arguments> objectIdLookups() {
    return RingVectors.objects(RingVectors.ring(), "lookups").stream()
        .filter(l -> l.has("oid_hex"))
        .map(l -> Arguments.of(l.get("oid_hex").getAsString(),
            l.get("position").getAsString(), RingVectors.strings(l, "replicas")));
  }

  @ParameterizedTest(name = "oid {0} at {1} -> {2}")
  @MethodSource("objectIdLookups")
  void objectIdLookupMatchesVector(String oidHex, String position, List<String> expected) {
    byte[] oid = RingVectors.hex(oidHex);
    ConsistentHashRing ring = RingVectors.buildRing();

    long oidPosition = RingHashing.objectIdPosition(oid);
    assertEquals(position, Long.toUnsignedString(oidPosition));
    // The object id must not be hashed again.
    assertNotEquals(RingHashing.keyPosition(oid), oidPosition);
    assertEquals(expected, ring.replicasForObjectId(oid));
    assertEquals(expected, ring.replicasForPosition(Long.parseUnsignedLong(position)));
  }

  @Test
  void vectorFileHasBothKindsOfLookup() {
    // Guards against the filters above silently selecting nothing.
    assertNotEquals(0, keyLookups().count());
    assertNotEquals(0, objectIdLookups().count());
    assertEquals(RingVectors.objects(RingVectors.ring(), "lookups").size(),
        keyLookups().count() + objectIdLookups().count());
  }
}
