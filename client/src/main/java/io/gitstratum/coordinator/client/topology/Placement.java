package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.ring.LabelSpread;
import io.gitstratum.coordinator.client.ring.RingMember;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A topology with the ring built from it and the label spreads asked for so far: what a
 * watcher's lookups read. Immutable apart from the spread cache (a concurrent map, filled on
 * demand); safe to share between threads.
 */
final class Placement {
  static final Placement EMPTY = new Placement(Topology.empty(),
      ConsistentHashRing.fromNodes(List.of(), Topology.empty().ringConfig()),
      new ConcurrentHashMap<>());

  private final Topology topology;
  private final ConsistentHashRing ring;
  private final Map<String, LabelSpread> spreads;

  private Placement(Topology topology, ConsistentHashRing ring,
      Map<String, LabelSpread> spreads) {
    this.topology = topology;
    this.ring = ring;
    this.spreads = spreads;
  }

  /** The placement of a full sync: a new topology, the ring reusing every known member's points. */
  Placement resynced(Topology next) {
    return new Placement(next, ring.update(next.nodes(), next.ringConfig()),
        new ConcurrentHashMap<>());
  }

  /**
   * The placement after {@code update} turned this topology into {@code next}. The ring's points
   * are never recomputed for a state change: an object node's new state only flips whether it
   * serves; an object node added hashes only its own points, merged into the others' order; a
   * removal drops its points ({@link ConsistentHashRing#withMember},
   * {@link ConsistentHashRing#withoutMember}); other nodes leave the ring as it is. The spreads
   * are rebuilt when the ring or a member's labels change.
   */
  Placement next(Topology next, TopologyUpdate update) {
    ConsistentHashRing nextRing = nextRing(next, update);
    boolean sameSpreads = nextRing == ring && !labelsChanged(update);
    return new Placement(next, nextRing, sameSpreads ? spreads : new ConcurrentHashMap<>());
  }

  private ConsistentHashRing nextRing(Topology next, TopologyUpdate update) {
    switch (update.getUpdateCase()) {
      case NODE_ADDED: {
        NodeInfo added = update.getNodeAdded();
        return isObject(added) ? ring.withMember(added.getId(),
            RingMember.canServe(added.getState())) : ring;
      }
      case NODE_UPDATED: {
        NodeInfo after = update.getNodeUpdated();
        return isObject(after) ? ring.withMember(after.getId(),
            RingMember.canServe(after.getState())) : ring;
      }
      case NODE_REMOVED:
        return ring.withoutMember(update.getNodeRemoved());
      default:
        return ring.update(next.nodes(), next.ringConfig());
    }
  }

  private boolean labelsChanged(TopologyUpdate update) {
    if (update.getUpdateCase() != TopologyUpdate.UpdateCase.NODE_UPDATED) {
      return false;
    }
    NodeInfo after = update.getNodeUpdated();
    return isObject(after) && !topology.node(after.getId())
        .map(before -> before.getLabelsMap().equals(after.getLabelsMap())).orElse(false);
  }

  private static boolean isObject(NodeInfo node) {
    return node.getType() == NodeType.NODE_TYPE_OBJECT;
  }

  Topology topology() {
    return topology;
  }

  ConsistentHashRing ring() {
    return ring;
  }

  LabelSpread spread(String label) {
    return spreads.computeIfAbsent(label, l -> LabelSpread.of(ring, l,
        id -> topology.node(id).map(NodeInfo::getLabelsMap).orElse(Map.of())));
  }
}
