package io.gitstratum.coordinator.client.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.HashRingEntry;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * For random topologies with nodes in every state, the client's ring (built at once, or reached
 * from another topology by state changes and membership changes, as a watcher reaches it) agrees
 * with a straight port of gitstratum's rules at d80ae157 ({@code convert.rs}: object nodes, state
 * conversion; {@code ring.rs}: a map from position to node, {@code nodes_at_position},
 * {@code primary_node_at_position}, {@code get_ring_entries}).
 */
class GitstratumRingPropertiesTest {

  /** gitstratum's ring, as its code reads: written for this test, not derived from ours. */
  static final class PortedRing {
    private final TreeMap<Long, String> ring = new TreeMap<>(Long::compareUnsigned);
    private final Map<String, String> stateOf = new TreeMap<>();
    private final int replicationFactor;

    PortedRing(List<NodeInfo> topology, int vnodes, int replicationFactor) {
      this.replicationFactor = replicationFactor;
      for (NodeInfo node : topology) {
        if (node.getType() != NodeType.NODE_TYPE_OBJECT) {
          continue;
        }
        stateOf.put(node.getId(), convertState(node.getState()));
        for (int i = 0; i < vnodes; i++) {
          ring.put(RingHashing.pointPosition(node.getId(), i), node.getId());
        }
      }
    }

    /** convert.rs's {@code convert_state}. */
    private static String convertState(NodeState state) {
      switch (state.getNumber()) {
        case 1: return "Active";
        case 2: return "Joining";
        case 3: return "Draining";
        case 4: return "Down";
        default: return "Down";
      }
    }

    private boolean canServeReads(String id) {
      String state = stateOf.get(id);
      return state.equals("Active") || state.equals("Draining");
    }

    /** {@code nodes_at_position}: a list, or "insufficient wanted/active". */
    Object nodesAtPosition(long position) {
      if (ring.isEmpty()) {
        return "empty";
      }
      Set<String> seen = new HashSet<>();
      List<String> result = new ArrayList<>();
      List<String> walk = new ArrayList<>(ring.tailMap(position, true).values());
      walk.addAll(ring.values());
      for (String id : walk) {
        if (!seen.add(id)) {
          continue;
        }
        if (!canServeReads(id)) {
          continue;
        }
        result.add(id);
        if (result.size() >= replicationFactor) {
          break;
        }
      }
      if (result.size() < replicationFactor) {
        long active = stateOf.keySet().stream().filter(this::canServeReads).count();
        return "insufficient " + replicationFactor + "/" + active;
      }
      return result;
    }

    String primaryAtPosition(long position) {
      if (ring.isEmpty()) {
        return "empty";
      }
      Map.Entry<Long, String> at = ring.ceilingEntry(position);
      return (at != null ? at : ring.firstEntry()).getValue();
    }

    List<String> entries() {
      List<String> out = new ArrayList<>();
      ring.forEach((pos, id) -> out.add(Long.toUnsignedString(pos) + " " + id));
      return out;
    }
  }

  private static Object ours(ConsistentHashRing ring, long position) {
    if (ring.memberCount() == 0) {
      return "empty";
    }
    try {
      return ring.replicasForPosition(position);
    } catch (InsufficientNodesException e) {
      return "insufficient " + e.required() + "/" + e.available();
    }
  }

  private static List<String> entries(ConsistentHashRing ring) {
    List<String> out = new ArrayList<>();
    for (HashRingEntry e : ring.toEntries()) {
      out.add(Long.toUnsignedString(e.getPosition()) + " " + e.getNodeId());
    }
    return out;
  }

  private static void assertAgrees(ConsistentHashRing ring, PortedRing ported,
      List<Long> positions) {
    assertEquals(ported.entries(), entries(ring));
    for (long position : positions) {
      String at = "position " + Long.toUnsignedString(position);
      assertEquals(ported.nodesAtPosition(position), ours(ring, position), at);
      assertEquals(ported.primaryAtPosition(position),
          ring.primaryForPosition(position).orElse("empty"), at);
    }
  }

  @Provide
  Arbitrary<List<NodeInfo>> topologies() {
    Arbitrary<NodeInfo> node = Combinators.combine(
        Arbitraries.integers().between(0, 39),
        Arbitraries.of(NodeState.NODE_STATE_UNKNOWN, NodeState.NODE_STATE_ACTIVE,
            NodeState.NODE_STATE_JOINING, NodeState.NODE_STATE_DRAINING,
            NodeState.NODE_STATE_DOWN, NodeState.NODE_STATE_SUSPECT),
        Arbitraries.of(NodeType.NODE_TYPE_OBJECT, NodeType.NODE_TYPE_OBJECT,
            NodeType.NODE_TYPE_OBJECT, NodeType.NODE_TYPE_METADATA,
            NodeType.NODE_TYPE_FRONTEND))
        .as((n, state, type) -> NodeInfo.newBuilder().setId("node-" + n).setAddress("10.0.0.1")
            .setPort(7000).setType(type).setState(state).build());
    return node.list().ofMaxSize(24).uniqueElements(NodeInfo::getId);
  }

  @Provide
  Arbitrary<List<Long>> positions() {
    return Arbitraries.longs().list().ofMinSize(20).ofMaxSize(60);
  }

  @Property(tries = 200)
  void aRingBuiltFromATopologyPlacesAsGitstratum(
      @ForAll("topologies") List<NodeInfo> topology,
      @ForAll @IntRange(min = 1, max = 20) int vnodes,
      @ForAll @IntRange(min = 1, max = 5) int replicationFactor,
      @ForAll("positions") List<Long> positions,
      @ForAll @Size(max = 5) List<@IntRange(min = 0, max = 1000) Integer> keys) {
    ConsistentHashRing ring = ConsistentHashRing.fromNodes(topology, config(vnodes,
        replicationFactor));
    PortedRing ported = new PortedRing(topology, vnodes, replicationFactor);
    List<Long> all = new ArrayList<>(positions);
    for (int key : keys) {
      all.add(RingHashing.keyPosition(("key-" + key).getBytes(StandardCharsets.UTF_8)));
    }
    assertAgrees(ring, ported, all);
  }

  @Property(tries = 100)
  void aRingReachedByChangesPlacesAsOneBuiltAtOnce(
      @ForAll("topologies") List<NodeInfo> before,
      @ForAll("topologies") List<NodeInfo> after,
      @ForAll @IntRange(min = 1, max = 20) int vnodes,
      @ForAll @IntRange(min = 1, max = 5) int replicationFactor,
      @ForAll("positions") List<Long> positions) {
    HashRingConfig config = config(vnodes, replicationFactor);
    ConsistentHashRing previous = ConsistentHashRing.fromNodes(before, config);
    assertAgrees(previous.update(after, config), new PortedRing(after, vnodes,
        replicationFactor), positions);
    // State changes alone, one member at a time, as a watcher applies node_updated.
    ConsistentHashRing flipped = previous;
    List<NodeInfo> changed = new ArrayList<>();
    for (NodeInfo node : before) {
      NodeInfo next = after.stream().filter(n -> n.getId().equals(node.getId())
          && n.getType() == node.getType()).findFirst().orElse(node);
      changed.add(next);
      if (node.getType() == NodeType.NODE_TYPE_OBJECT) {
        flipped = flipped.withServing(node.getId(), RingMember.canServe(next.getState()));
      }
    }
    assertAgrees(flipped, new PortedRing(changed, vnodes, replicationFactor), positions);
    // Node by node, as a watcher applies node_removed, node_added and node_updated.
    ConsistentHashRing stepped = previous;
    for (NodeInfo node : before) {
      stepped = stepped.withoutMember(node.getId());
    }
    for (NodeInfo node : before) {
      if (node.getType() == NodeType.NODE_TYPE_OBJECT) {
        stepped = stepped.withMember(node.getId(), RingMember.canServe(node.getState()));
      }
    }
    for (NodeInfo node : before) {
      if (after.stream().noneMatch(n -> n.getId().equals(node.getId())
          && n.getType() == NodeType.NODE_TYPE_OBJECT)) {
        stepped = stepped.withoutMember(node.getId());
      }
    }
    for (NodeInfo node : after) {
      if (node.getType() == NodeType.NODE_TYPE_OBJECT) {
        stepped = stepped.withMember(node.getId(), RingMember.canServe(node.getState()));
      }
    }
    assertAgrees(stepped, new PortedRing(after, vnodes, replicationFactor), positions);
  }

  private static HashRingConfig config(int vnodes, int replicationFactor) {
    return HashRingConfig.newBuilder().setVirtualNodesPerPhysical(vnodes)
        .setReplicationFactor(replicationFactor).build();
  }
}
