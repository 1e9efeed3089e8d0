package io.gitstratum.coordinator.client.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code states} set of {@code shared/ring-vectors.json}: a ring of object nodes in every
 * state, with the replicas ({@code nodes_for_key}, {@code nodes_for_oid}) and primaries
 * gitstratum's ring gives, built from the topology as the facade, coordctl and routers build it.
 */
class RingStatesVectorsTest {

  private static JsonObject states() {
    return RingVectors.root().getAsJsonObject("states");
  }

  private static List<NodeInfo> nodes(JsonObject section) {
    List<NodeInfo> nodes = new ArrayList<>();
    for (JsonElement element : RingVectors.array(section, "nodes")) {
      JsonObject node = element.getAsJsonObject();
      nodes.add(NodeInfo.newBuilder().setId(node.get("id").getAsString())
          .setAddress("10.0.0.1").setPort(7000).setType(NodeType.NODE_TYPE_OBJECT)
          .setState(NodeState.valueOf(node.get("state").getAsString())).build());
    }
    return nodes;
  }

  private static ConsistentHashRing ring(JsonObject section) {
    JsonObject spec = states();
    return ConsistentHashRing.fromNodes(nodes(section), HashRingConfig.newBuilder()
        .setVirtualNodesPerPhysical(spec.get("virtual_nodes_per_physical").getAsInt())
        .setReplicationFactor(spec.get("replication_factor").getAsInt()).build());
  }

  @Test
  void everyMemberHasItsPointsWhateverItsState() {
    JsonObject spec = states();
    ConsistentHashRing ring = ring(spec);
    assertEquals(spec.get("point_count").getAsInt(), ring.points().size());
    assertEquals(spec.get("point_count").getAsInt(), ring.toEntries().size());
    List<JsonObject> first = RingVectors.objects(spec, "first_entries");
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i).get("position").getAsString(),
          ring.points().get(i).positionUnsigned(), "entry " + i);
      assertEquals(first.get(i).get("node_id").getAsString(), ring.points().get(i).nodeId(),
          "entry " + i);
    }
  }

  static Stream<Arguments> keyLookups() {
    return RingVectors.objects(states(), "key_lookups").stream()
        .map(l -> Arguments.of(l.get("key_utf8").getAsString(), l.get("position").getAsString(),
            RingVectors.strings(l, "nodes_for_key"), l.get("primary_node").getAsString()));
  }

  @ParameterizedTest(name = "\"{0}\" -> {2}, primary {3}")
  @MethodSource("keyLookups")
  void keyLookupsMatch(String key, String position, List<String> replicas, String primary) {
    ConsistentHashRing ring = ring(states());
    assertEquals(position, Long.toUnsignedString(
        RingHashing.keyPosition(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    assertEquals(replicas, ring.replicasFor(key));
    assertEquals(primary, ring.primaryFor(key).orElseThrow());
  }

  static Stream<Arguments> oidLookups() {
    return RingVectors.objects(states(), "oid_lookups").stream()
        .map(l -> Arguments.of(l.get("oid_hex").getAsString(), l.get("position").getAsString(),
            RingVectors.strings(l, "nodes_for_oid"),
            l.get("primary_node_for_oid").getAsString()));
  }

  @ParameterizedTest(name = "oid {0} -> {2}, primary {3}")
  @MethodSource("oidLookups")
  void objectIdLookupsMatch(String oidHex, String position, List<String> replicas,
      String primary) {
    ConsistentHashRing ring = ring(states());
    byte[] oid = RingVectors.hex(oidHex);
    assertEquals(position, Long.toUnsignedString(RingHashing.objectIdPosition(oid)));
    assertEquals(replicas, ring.replicasForObjectId(oid));
    assertEquals(primary, ring.primaryForObjectId(oid).orElseThrow());
  }

  @Test
  void tooFewServingNodesSaysHowManyCanServe() {
    JsonObject insufficient = states().getAsJsonObject("insufficient");
    JsonObject expected = insufficient.getAsJsonObject("nodes_for_key");
    ConsistentHashRing ring = ring(insufficient);
    InsufficientNodesException e = assertThrows(InsufficientNodesException.class,
        () -> ring.replicasFor(insufficient.get("key_utf8").getAsString()));
    assertEquals(expected.get("wanted").getAsInt(), e.required());
    assertEquals(expected.get("serving").getAsInt(), e.available());
  }

  @Test
  void theSetIsNotEmpty() {
    assertNotEquals(0, keyLookups().count());
    assertNotEquals(0, oidLookups().count());
  }
}
