package io.gitstratum.coordinator.client.ring;

import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.HashRingEntry;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The consistent hash ring that places keys on object nodes, with the same placement as
 * gitstratum's Rust ring (CONTRACT.md, section "Hash ring"; its {@code ring.rs} at d80ae157).
 *
 * <p>Every object node is a member whatever its state and has {@link #virtualNodesPerPhysical()}
 * points at {@link RingHashing#pointPosition(String, int)}. The replicas of a key
 * ({@code nodes_for_key}; reads and writes alike) are found by walking the points in unsigned
 * position order from the first point whose position is {@code >=} the key's position, wrapping
 * around, and taking distinct members that can serve ({@link RingMember#canServe}) until
 * {@link #replicationFactor()} have been found; fewer: {@link InsufficientNodesException}. The
 * primary of a key ({@code primary_node}) is the member of that first point, whatever its state.
 *
 * <p>Instances are immutable and thread-safe. The points of a membership are computed once and
 * shared: {@link #withServing} and {@link #update} with the same members reuse them (a state
 * change flips a flag), and a membership change hashes only the new members. Lookups do a binary
 * search over a sorted {@code long[]} and allocate only their small result list.
 */
public final class ConsistentHashRing {

  /** Virtual nodes per member when the config leaves the field at 0 (gitstratum's default). */
  public static final int DEFAULT_VIRTUAL_NODES = 16;

  /** Replication factor when the config leaves the field at 0 (gitstratum's default). */
  public static final int DEFAULT_REPLICATION_FACTOR = 3;

  private final RingLayout layout;
  private final int replicationFactor;
  /** Bit m: member m (of the layout) can serve. Never written after construction. */
  private final long[] serving;
  private final int servingCount;

  private ConsistentHashRing(RingLayout layout, int replicationFactor, long[] serving,
      int servingCount) {
    this.layout = layout;
    this.replicationFactor = replicationFactor;
    this.serving = serving;
    this.servingCount = servingCount;
  }

  private boolean serves(int member) {
    return (serving[member >>> 6] & (1L << member)) != 0;
  }

  private static long[] bits(int members) {
    return new long[(members + 63) >>> 6];
  }

  /**
   * Builds a ring from explicit members.
   *
   * @param members the physical nodes; ids must be distinct. May be empty (every replica lookup
   *     then throws {@link InsufficientNodesException}).
   * @param virtualNodesPerPhysical points per member, {@code >= 1}
   * @param replicationFactor distinct nodes per key, {@code >= 1}
   * @throws IllegalArgumentException on a non-positive count or a duplicate node id
   * @throws NullPointerException if {@code members} or one of its elements is null
   */
  public static ConsistentHashRing of(Collection<RingMember> members,
      int virtualNodesPerPhysical, int replicationFactor) {
    return build(RingLayout.EMPTY, members, virtualNodesPerPhysical, replicationFactor);
  }

  /**
   * Builds the ring of a topology: every OBJECT node is a member, whatever its state, serving
   * when ACTIVE or DRAINING (as gitstratum's {@code convert.rs} and {@code node.rs} decide). A
   * config field left at 0 takes its default ({@link #DEFAULT_VIRTUAL_NODES},
   * {@link #DEFAULT_REPLICATION_FACTOR}).
   *
   * @throws IllegalArgumentException if a config value exceeds {@link Integer#MAX_VALUE} (a
   *     uint32 read as a negative int), or on duplicate member ids
   * @throws NullPointerException if an argument or a node is null
   */
  public static ConsistentHashRing fromNodes(Collection<NodeInfo> nodes, HashRingConfig config) {
    return build(RingLayout.EMPTY, members(nodes), virtualNodes(config), replication(config));
  }

  /**
   * The ring of {@code nodes} (as {@link #fromNodes}), reusing this ring's points: with the same
   * members and point count the result shares them, otherwise only new members are hashed.
   */
  public ConsistentHashRing update(Collection<NodeInfo> nodes, HashRingConfig config) {
    return build(layout, members(nodes), virtualNodes(config), replication(config));
  }

  /**
   * This ring with one member's serving flag set: the same points, nothing rehashed. Returns
   * this ring when the flag is already so.
   *
   * @throws IllegalArgumentException if {@code nodeId} is not a member
   */
  public ConsistentHashRing withServing(String nodeId, boolean canServe) {
    int m = layout.indexOf(Objects.requireNonNull(nodeId, "nodeId"));
    if (m < 0) {
      throw new IllegalArgumentException("not a ring member: " + nodeId);
    }
    if (serves(m) == canServe) {
      return this;
    }
    long[] next = serving.clone();
    next[m >>> 6] ^= 1L << m;
    return new ConsistentHashRing(layout, replicationFactor, next,
        servingCount + (canServe ? 1 : -1));
  }

  /**
   * This ring with {@code nodeId} a member (its serving flag set as given): only its points are
   * computed, and merged into the others' order. A member already: {@link #withServing}.
   */
  public ConsistentHashRing withMember(String nodeId, boolean canServe) {
    int at = layout.indexOf(new RingMember(nodeId, canServe).nodeId());
    if (at >= 0) {
      return withServing(nodeId, canServe);
    }
    int insert = -at - 1;
    String[] old = layout.memberIds;
    String[] ids = new String[old.length + 1];
    System.arraycopy(old, 0, ids, 0, insert);
    ids[insert] = nodeId;
    System.arraycopy(old, insert, ids, insert + 1, old.length - insert);
    long[] next = bits(ids.length);
    for (int m = 0; m < ids.length; m++) {
      if (m == insert ? canServe : serves(m < insert ? m : m - 1)) {
        next[m >>> 6] |= 1L << m;
      }
    }
    return new ConsistentHashRing(layout.withMembers(ids, layout.virtualNodesPerPhysical),
        replicationFactor, next, servingCount + (canServe ? 1 : 0));
  }

  /** This ring without {@code nodeId}; this ring when it is not a member. Nothing is rehashed. */
  public ConsistentHashRing withoutMember(String nodeId) {
    int gone = layout.indexOf(Objects.requireNonNull(nodeId, "nodeId"));
    if (gone < 0) {
      return this;
    }
    String[] old = layout.memberIds;
    String[] ids = new String[old.length - 1];
    System.arraycopy(old, 0, ids, 0, gone);
    System.arraycopy(old, gone + 1, ids, gone, ids.length - gone);
    long[] next = bits(ids.length);
    for (int m = 0; m < ids.length; m++) {
      if (serves(m < gone ? m : m + 1)) {
        next[m >>> 6] |= 1L << m;
      }
    }
    return new ConsistentHashRing(layout.withMembers(ids, layout.virtualNodesPerPhysical),
        replicationFactor, next, servingCount - (serves(gone) ? 1 : 0));
  }

  private static ConsistentHashRing build(RingLayout previous, Collection<RingMember> members,
      int virtualNodesPerPhysical, int replicationFactor) {
    Objects.requireNonNull(members, "members");
    if (virtualNodesPerPhysical < 1) {
      throw new IllegalArgumentException(
          "virtualNodesPerPhysical must be >= 1, got " + virtualNodesPerPhysical);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException(
          "replicationFactor must be >= 1, got " + replicationFactor);
    }
    Map<String, Boolean> servingById = new HashMap<>();
    for (RingMember member : members) {
      Objects.requireNonNull(member, "member");
      if (servingById.put(member.nodeId(), member.serving()) != null) {
        throw new IllegalArgumentException("duplicate node id: " + member.nodeId());
      }
    }
    // Sorting by id makes the point order independent of the caller's iteration order.
    String[] ids = servingById.keySet().toArray(new String[0]);
    Arrays.sort(ids);
    RingLayout layout = previous.withMembers(ids, virtualNodesPerPhysical);
    long[] serving = bits(ids.length);
    int count = 0;
    for (int m = 0; m < ids.length; m++) {
      if (servingById.get(ids[m])) {
        serving[m >>> 6] |= 1L << m;
        count++;
      }
    }
    return new ConsistentHashRing(layout, replicationFactor, serving, count);
  }

  private static List<RingMember> members(Collection<NodeInfo> nodes) {
    Objects.requireNonNull(nodes, "nodes");
    List<RingMember> members = new ArrayList<>();
    for (NodeInfo node : nodes) {
      Objects.requireNonNull(node, "node");
      if (node.getType() == NodeType.NODE_TYPE_OBJECT) {
        members.add(new RingMember(node.getId(), RingMember.canServe(node.getState())));
      }
    }
    return members;
  }

  private static int virtualNodes(HashRingConfig config) {
    Objects.requireNonNull(config, "config");
    return orDefault(config.getVirtualNodesPerPhysical(), DEFAULT_VIRTUAL_NODES,
        "virtual_nodes_per_physical");
  }

  private static int replication(HashRingConfig config) {
    return orDefault(config.getReplicationFactor(), DEFAULT_REPLICATION_FACTOR,
        "replication_factor");
  }

  private static int orDefault(int uint32Value, int defaultValue, String field) {
    if (uint32Value == 0) {
      return defaultValue;
    }
    if (uint32Value < 0) {
      throw new IllegalArgumentException(field + " too large: "
          + Integer.toUnsignedString(uint32Value));
    }
    return uint32Value;
  }

  /** Points per member. */
  public int virtualNodesPerPhysical() {
    return layout.virtualNodesPerPhysical;
  }

  /** Distinct nodes each key is placed on. */
  public int replicationFactor() {
    return replicationFactor;
  }

  /** Number of physical members, whatever their state. */
  public int memberCount() {
    return layout.memberIds.length;
  }

  /** Number of members that can serve. */
  public int servingCount() {
    return servingCount;
  }

  /** Whether {@code nodeId} is a member that can serve. */
  public boolean isServing(String nodeId) {
    int m = layout.indexOf(Objects.requireNonNull(nodeId, "nodeId"));
    return m >= 0 && serves(m);
  }

  /** The physical members ordered by node id, with their serving flags. Unmodifiable. */
  public List<RingMember> members() {
    List<RingMember> out = new ArrayList<>(layout.memberIds.length);
    for (int m = 0; m < layout.memberIds.length; m++) {
      out.add(new RingMember(layout.memberIds[m], serves(m)));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Visits the distinct serving members in the order placement takes them: walking the points
   * from the first one at or after {@code position}, wrapping around, each member once. Plain
   * placement is the first {@link #replicationFactor()} members of this walk; other placements
   * (such as {@link LabelSpread}) choose among them in the same order.
   *
   * @param visitor gets each member's id; returns false to stop the walk
   */
  public void walkFrom(long position, Predicate<String> visitor) {
    if (servingCount == 0) {
      return;
    }
    long[] positions = layout.positions;
    int[] pointMembers = layout.pointMembers;
    boolean[] seen = new boolean[layout.memberIds.length];
    int visited = 0;
    int k = layout.firstPointAtOrAfter(position);
    for (int step = 0; step < positions.length && visited < servingCount; step++) {
      int member = pointMembers[k];
      if (!seen[member] && serves(member)) {
        seen[member] = true;
        visited++;
        if (!visitor.test(layout.memberIds[member])) {
          return;
        }
      }
      k = (k + 1 == positions.length) ? 0 : k + 1;
    }
  }

  /** All points sorted by unsigned position, every member's. Unmodifiable. */
  public List<RingPoint> points() {
    return layout.points();
  }

  /**
   * Replicas of a key (gitstratum's {@code nodes_for_key}): for reads and writes alike.
   *
   * @return {@link #replicationFactor()} distinct serving node ids, in ring order; unmodifiable
   * @throws InsufficientNodesException if fewer members can serve than the replication factor
   */
  public List<String> replicasFor(byte[] key) {
    return replicasForPosition(RingHashing.keyPosition(key));
  }

  /** Replicas of a string key, hashed as its UTF-8 bytes. See {@link #replicasFor(byte[])}. */
  public List<String> replicasFor(String key) {
    return replicasFor(utf8(key));
  }

  /**
   * Replicas of a 32-byte object id (gitstratum's {@code nodes_for_oid}), placed at its own first
   * 8 bytes (not hashed).
   *
   * @throws IllegalArgumentException if {@code objectId} is not 32 bytes long
   * @throws InsufficientNodesException as for {@link #replicasFor(byte[])}
   */
  public List<String> replicasForObjectId(byte[] objectId) {
    return replicasForPosition(RingHashing.objectIdPosition(objectId));
  }

  /** Replicas of an unsigned ring position. See {@link #replicasFor(byte[])}. */
  public List<String> replicasForPosition(long position) {
    if (servingCount < replicationFactor) {
      throw new InsufficientNodesException(replicationFactor, servingCount);
    }
    long[] positions = layout.positions;
    int[] pointMembers = layout.pointMembers;
    int[] chosen = new int[replicationFactor];
    int found = 0;
    int k = layout.firstPointAtOrAfter(position);
    for (int step = 0; step < positions.length && found < replicationFactor; step++) {
      int member = pointMembers[k];
      if (serves(member) && !contains(chosen, found, member)) {
        chosen[found++] = member;
      }
      k = (k + 1 == positions.length) ? 0 : k + 1;
    }
    if (found < replicationFactor) {
      // Only when a member lost every point to another's at the same position.
      throw new InsufficientNodesException(replicationFactor, servingCount);
    }
    String[] replicas = new String[found];
    for (int r = 0; r < found; r++) {
      replicas[r] = layout.memberIds[chosen[r]];
    }
    return Collections.unmodifiableList(Arrays.asList(replicas));
  }

  // Linear scan: the replication factor is tiny, so this beats hashing and allocates nothing.
  private static boolean contains(int[] values, int length, int value) {
    for (int i = 0; i < length; i++) {
      if (values[i] == value) {
        return true;
      }
    }
    return false;
  }

  /**
   * The primary of a key (gitstratum's {@code primary_node}): the member of the first point at or
   * after its position, whatever that member's state. Ownership, not a routing target.
   *
   * @return empty when the ring has no members
   */
  public Optional<String> primaryFor(byte[] key) {
    return primaryForPosition(RingHashing.keyPosition(key));
  }

  /** The primary of a string key (UTF-8). See {@link #primaryFor(byte[])}. */
  public Optional<String> primaryFor(String key) {
    return primaryFor(utf8(key));
  }

  /** The primary of a 32-byte object id (gitstratum's {@code primary_node_for_oid}). */
  public Optional<String> primaryForObjectId(byte[] objectId) {
    return primaryForPosition(RingHashing.objectIdPosition(objectId));
  }

  /** The primary of an unsigned ring position. See {@link #primaryFor(byte[])}. */
  public Optional<String> primaryForPosition(long position) {
    if (layout.positions.length == 0) {
      return Optional.empty();
    }
    return Optional.of(layout.memberIds[layout.pointMembers[layout.firstPointAtOrAfter(position)]]);
  }

  private static byte[] utf8(String key) {
    return Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The fraction of the 2<sup>64</sup> key space each member owns as primary: each point owns
   * the arc from the previous point (exclusive) to itself (inclusive), the first point's arc
   * wrapping past the top of the key space. Every member appears, ordered by node id; values sum
   * to 1.0 (up to floating point rounding) for a non-empty ring. Unmodifiable.
   */
  public Map<String, Double> ownershipShares() {
    return layout.shares();
  }

  /**
   * Every member's points as protobuf entries, in {@link #points()} order (for
   * {@code GetHashRing}, as gitstratum's {@code get_ring_entries}).
   */
  public List<HashRingEntry> toEntries() {
    long[] positions = layout.positions;
    List<HashRingEntry> entries = new ArrayList<>(positions.length);
    for (int k = 0; k < positions.length; k++) {
      entries.add(HashRingEntry.newBuilder()
          .setPosition(positions[k])
          .setNodeId(layout.memberIds[layout.pointMembers[k]])
          .build());
    }
    return Collections.unmodifiableList(entries);
  }

  /** Whether this ring and {@code other} share one set of computed points (tests). */
  boolean sharesPointsWith(ConsistentHashRing other) {
    return layout == other.layout;
  }

  /** The computed positions of a member's points, the array itself (tests). */
  long[] memberPositions(String nodeId) {
    return layout.memberPositions[layout.indexOf(nodeId)];
  }

  @Override
  public String toString() {
    return "ConsistentHashRing{members=" + layout.memberIds.length
        + ", serving=" + servingCount
        + ", virtualNodesPerPhysical=" + layout.virtualNodesPerPhysical
        + ", replicationFactor=" + replicationFactor + "}";
  }
}
