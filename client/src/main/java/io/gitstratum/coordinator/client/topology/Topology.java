package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster membership at one version: nodes by id and the ring configuration. Immutable and
 * thread-safe; changes go through {@link #draft()} or {@link #apply(TopologyUpdate)}.
 *
 * <p>Both the facade's cache and the client's watcher hold one, and both change it only by
 * applying the same {@link TopologyUpdate}s that the watch stream carries.
 */
public final class Topology implements TopologyView {
  private static final Topology EMPTY =
      new Topology(0, Map.of(), HashRingConfig.getDefaultInstance());

  private final long version;
  private final Map<String, NodeInfo> nodes;
  private final HashRingConfig ringConfig;

  private Topology(long version, Map<String, NodeInfo> nodes, HashRingConfig ringConfig) {
    this.version = version;
    this.nodes = nodes;
    this.ringConfig = ringConfig;
  }

  public static Topology empty() {
    return EMPTY;
  }

  public static Topology of(long version, Collection<NodeInfo> nodes, HashRingConfig ringConfig) {
    Map<String, NodeInfo> byId = new HashMap<>();
    for (NodeInfo node : nodes) {
      byId.put(node.getId(), node);
    }
    return new Topology(version, Collections.unmodifiableMap(byId), ringConfig);
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

  /** Every node, unordered and unmodifiable. */
  public Collection<NodeInfo> nodes() {
    return nodes.values();
  }

  public int size() {
    return nodes.size();
  }

  public int count(NodeState state) {
    int n = 0;
    for (NodeInfo node : nodes.values()) {
      if (node.getState() == state) {
        n++;
      }
    }
    return n;
  }

  /** Nodes split by type, each list sorted by id, as GetTopology and full_sync carry them. */
  public GetTopologyResponse.Builder toResponse() {
    GetTopologyResponse.Builder out = GetTopologyResponse.newBuilder()
        .setVersion(version)
        .setHashRingConfig(ringConfig);
    nodes.values().stream()
        .sorted((a, b) -> a.getId().compareTo(b.getId()))
        .forEach(node -> {
          switch (node.getType()) {
            case NODE_TYPE_FRONTEND -> out.addFrontendNodes(node);
            case NODE_TYPE_METADATA -> out.addMetadataNodes(node);
            case NODE_TYPE_OBJECT -> out.addObjectNodes(node);
            default -> { } // validation never stores UNKNOWN; a full sync would drop it anyway
          }
        });
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
   * A mutable copy used to apply several updates at once (a batch of writes, or a burst of watch
   * events) without copying the node map per update. {@link #build()} hands the map over to the
   * new Topology without copying it again, after which the draft is spent. Not thread-safe;
   * confine to one thread.
   */
  public static final class Draft implements TopologyView {
    private long version;
    private final Map<String, NodeInfo> nodes;
    private HashRingConfig ringConfig;
    private boolean spent;

    private Draft(Topology base) {
      this.version = base.version;
      this.nodes = new HashMap<>(base.nodes);
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
      checkNotSpent();
      if (update.getPreviousVersion() != version || update.getVersion() != version + 1) {
        throw new TopologyGapException(version, update.getPreviousVersion(), update.getVersion());
      }
      switch (update.getUpdateCase()) {
        case NODE_ADDED -> nodes.put(update.getNodeAdded().getId(), update.getNodeAdded());
        case NODE_UPDATED -> nodes.put(update.getNodeUpdated().getId(), update.getNodeUpdated());
        case NODE_REMOVED -> nodes.remove(update.getNodeRemoved());
        case HASH_RING_CONFIG_UPDATED -> ringConfig = update.getHashRingConfigUpdated();
        default -> throw new IllegalArgumentException(
            "not a change event: " + update.getUpdateCase());
      }
      version = update.getVersion();
      return this;
    }

    /** Sets state that does not come from change events (the ring config written at bootstrap). */
    public Draft ringConfig(HashRingConfig config) {
      checkNotSpent();
      this.ringConfig = config;
      return this;
    }

    /** The topology as drafted; the draft cannot change afterwards (the map is shared). */
    public Topology build() {
      checkNotSpent();
      spent = true;
      return new Topology(version, Collections.unmodifiableMap(nodes), ringConfig);
    }

    private void checkNotSpent() {
      if (spent) {
        throw new IllegalStateException("this draft was built already");
      }
    }
  }
}
