package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.ring.LabelSpread;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  static Placement of(Topology topology) {
    return new Placement(topology, ConsistentHashRing.fromNodes(topology.nodes(),
        topology.ringConfig()), new ConcurrentHashMap<>());
  }

  /**
   * The placement after {@code update} turned this topology into {@code next}: the ring (and
   * the spreads) are rebuilt only when the change touches ring membership, ring config or the
   * labels of a ring member, since most changes (frontends, JOINING nodes) do not.
   */
  Placement next(Topology next, TopologyUpdate update) {
    if (!touchesRing(update)) {
      return new Placement(next, ring, spreads);
    }
    return of(next);
  }

  private boolean touchesRing(TopologyUpdate update) {
    switch (update.getUpdateCase()) {
      case NODE_ADDED:
        return ringRole(update.getNodeAdded()) != Role.NONE;
      case NODE_UPDATED: {
        NodeInfo after = update.getNodeUpdated();
        NodeInfo before = topology.node(after.getId()).orElse(null);
        Role was = before == null ? Role.NONE : ringRole(before);
        Role is = ringRole(after);
        return was != is || (is != Role.NONE
            && !Objects.equals(before.getLabelsMap(), after.getLabelsMap()));
      }
      case NODE_REMOVED:
        return topology.node(update.getNodeRemoved()).map(n -> ringRole(n) != Role.NONE)
            .orElse(false);
      default:
        return true;
    }
  }

  private enum Role { NONE, MEMBER, DRAINING }

  /** As {@link ConsistentHashRing#fromNodes} decides membership. */
  private static Role ringRole(NodeInfo node) {
    if (node.getType() != NodeType.NODE_TYPE_OBJECT) {
      return Role.NONE;
    }
    NodeState state = node.getState();
    if (state == NodeState.NODE_STATE_ACTIVE || state == NodeState.NODE_STATE_SUSPECT) {
      return Role.MEMBER;
    }
    return state == NodeState.NODE_STATE_DRAINING ? Role.DRAINING : Role.NONE;
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
