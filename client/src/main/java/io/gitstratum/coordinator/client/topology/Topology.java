package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.pcollections.PSortedMap;
import org.pcollections.TreePMap;

/**
 * The cluster membership at one version: nodes by id and the ring configuration. Immutable and
 * thread-safe; changes go through {@link #draft()} or {@link #apply(TopologyUpdate)}.
 *
 * <p>Both the facade's cache and the client's watcher hold one, and both change it only by
 * applying the same {@link TopologyUpdate}s that the watch stream carries.
 *
 * <p>Nodes live in a persistent sorted map, so a change costs O(log n) and shares the rest with
 * the previous version (a 30,000-node cluster is not copied per change), and node counts by type
 * and state are kept as changes are applied rather than counted on demand.
 */
public final class Topology implements TopologyView {
  private static final Topology EMPTY = new Topology(0, TreePMap.empty(), StateCounts.NONE,
      HashRingConfig.getDefaultInstance());

  private final long version;
  private final PSortedMap<String, NodeInfo> nodes;
  private final StateCounts counts;
  private final HashRingConfig ringConfig;

  private Topology(long version, PSortedMap<String, NodeInfo> nodes, StateCounts counts,
      HashRingConfig ringConfig) {
    this.version = version;
    this.nodes = nodes;
    this.counts = counts;
    this.ringConfig = ringConfig;
  }

  public static Topology empty() {
    return EMPTY;
  }

  public static Topology of(long version, Collection<NodeInfo> nodes, HashRingConfig ringConfig) {
    Draft draft = new Draft(EMPTY);
    nodes.forEach(draft::put);
    draft.version = version;
    draft.ringConfig = ringConfig;
    return draft.build();
  }

  /** The topology a {@code full_sync} carries. */
  public static Topology fromResponse(GetTopologyResponse response) {
    List<NodeInfo> all = new ArrayList<>(response.getFrontendNodesList());
    all.addAll(response.getMetadataNodesList());
    all.addAll(response.getObjectNodesList());
    return of(response.getVersion(), all, response.getHashRingConfig());
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public Optional<NodeInfo> node(String nodeId) {
    return Optional.ofNullable(nodes.get(nodeId));
  }

  @Override
  public HashRingConfig ringConfig() {
    return ringConfig;
  }

  /** Every node, sorted by id, unmodifiable. */
  public Collection<NodeInfo> nodes() {
    return nodes.values();
  }

  public int size() {
    return nodes.size();
  }

  /** Nodes in {@code state}, of any type; O(1). */
  public int count(NodeState state) {
    return counts.of(state);
  }

  /** Nodes of {@code type} in {@code state}; O(1). */
  public int count(NodeType type, NodeState state) {
    return counts.of(type, state);
  }

  /** Nodes split by type, each list sorted by id, as GetTopology and full_sync carry them. */
  public GetTopologyResponse.Builder toResponse() {
    GetTopologyResponse.Builder out = GetTopologyResponse.newBuilder()
        .setVersion(version)
        .setHashRingConfig(ringConfig);
    for (NodeInfo node : nodes.values()) {
      switch (node.getType()) {
        case NODE_TYPE_FRONTEND -> out.addFrontendNodes(node);
        case NODE_TYPE_METADATA -> out.addMetadataNodes(node);
        case NODE_TYPE_OBJECT -> out.addObjectNodes(node);
        default -> { } // validation never stores UNKNOWN; a full sync would drop it anyway
      }
    }
    return out;
  }

  /**
   * Applies one change event.
   *
   * @throws TopologyGapException when {@code update.previous_version != version()} or the update
   *     does not advance by exactly 1
   * @throws IllegalArgumentException for an update that is not a change event
   */
  public Topology apply(TopologyUpdate update) {
    return draft().apply(update).build();
  }

  public Draft draft() {
    return new Draft(this);
  }

  @Override
  public String toString() {
    return "Topology{version=" + version + ", nodes=" + nodes.size() + "}";
  }

  /**
   * Applies several updates at once (a batch of writes, or a burst of watch events). Starting a
   * draft and building it are O(1); each update is O(log n). The topologies it builds are
   * snapshots: applying more afterwards does not change them. Not thread-safe; confine to one
   * thread.
   */
  public static final class Draft implements TopologyView {
    private long version;
    private PSortedMap<String, NodeInfo> nodes;
    private final StateCounts.Builder counts;
    private HashRingConfig ringConfig;

    private Draft(Topology base) {
      this.version = base.version;
      this.nodes = base.nodes;
      this.counts = base.counts.toBuilder();
      this.ringConfig = base.ringConfig;
    }

    @Override
    public long version() {
      return version;
    }

    @Override
    public Optional<NodeInfo> node(String nodeId) {
      return Optional.ofNullable(nodes.get(nodeId));
    }

    @Override
    public HashRingConfig ringConfig() {
      return ringConfig;
    }

    public Draft apply(TopologyUpdate update) {
      if (update.getPreviousVersion() != version || update.getVersion() != version + 1) {
        throw new TopologyGapException(version, update.getPreviousVersion(), update.getVersion());
      }
      switch (update.getUpdateCase()) {
        case NODE_ADDED -> put(update.getNodeAdded());
        case NODE_UPDATED -> put(update.getNodeUpdated());
        case NODE_REMOVED -> remove(update.getNodeRemoved());
        case HASH_RING_CONFIG_UPDATED -> ringConfig = update.getHashRingConfigUpdated();
        default -> throw new IllegalArgumentException(
            "not a change event: " + update.getUpdateCase());
      }
      version = update.getVersion();
      return this;
    }

    /** Sets state that does not come from change events (the ring config written at bootstrap). */
    public Draft ringConfig(HashRingConfig config) {
      this.ringConfig = config;
      return this;
    }

    public Topology build() {
      return new Topology(version, nodes, counts.build(), ringConfig);
    }

    private void put(NodeInfo node) {
      NodeInfo old = nodes.get(node.getId());
      if (old != null) {
        counts.add(old, -1);
      }
      counts.add(node, 1);
      nodes = nodes.plus(node.getId(), node);
    }

    private void remove(String nodeId) {
      NodeInfo old = nodes.get(nodeId);
      if (old != null) {
        counts.add(old, -1);
        nodes = nodes.minus(nodeId);
      }
    }
  }
}
