package io.gitstratum.coordinator.client.ring;

import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.HashRingEntry;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The consistent hash ring that places keys on object nodes (CONTRACT.md, section "Hash ring"),
 * with the same placement as gitstratum's Rust ring.
 *
 * <p>Each member has {@link #virtualNodesPerPhysical()} points at
 * {@link RingHashing#pointPosition(String, int)}. The replicas of a key are found by walking the
 * points in unsigned position order from the first point whose position is {@code >=} the key's
 * position, wrapping around past the largest position, and taking distinct nodes until
 * {@link #replicationFactor()} have been found. Reads use every member; writes skip DRAINING
 * members. When fewer eligible members exist than the replication factor, lookups throw
 * {@link InsufficientNodesException}.
 *
 * <p>Instances are immutable and thread-safe; a new membership means a new ring. Lookups do a
 * binary search over a sorted {@code long[]} and allocate only their small result list, so they
 * are cheap enough for per-request use on routers.
 */
public final class ConsistentHashRing {

  /** Virtual nodes per member when the config leaves the field at 0 (gitstratum's default). */
  public static final int DEFAULT_VIRTUAL_NODES = 16;

  /** Replication factor when the config leaves the field at 0 (gitstratum's default). */
  public static final int DEFAULT_REPLICATION_FACTOR = 3;

  private final int virtualNodesPerPhysical;
  private final int replicationFactor;

  // Members sorted by id; points refer to them by index so lookups compare ints, not strings.
  private final String[] memberIds;
  private final boolean[] memberDraining;
  private final int writableMemberCount;

  // Parallel arrays in ring order: positions ascending as unsigned values.
  private final long[] positions;
  private final int[] pointMembers;

  private final List<RingPoint> points;
  private final Map<String, Double> ownershipShares;

  private ConsistentHashRing(List<RingMember> members, int virtualNodesPerPhysical,
      int replicationFactor) {
    this.virtualNodesPerPhysical = virtualNodesPerPhysical;
    this.replicationFactor = replicationFactor;

    int memberCount = members.size();
    memberIds = new String[memberCount];
    memberDraining = new boolean[memberCount];
    int writable = 0;
    for (int m = 0; m < memberCount; m++) {
      RingMember member = members.get(m);
      memberIds[m] = member.nodeId();
      memberDraining[m] = member.draining();
      if (!member.draining()) {
        writable++;
      }
    }
    writableMemberCount = writable;

    int pointCount = Math.multiplyExact(memberCount, virtualNodesPerPhysical);
    long[] unsortedPositions = new long[pointCount];
    Integer[] order = new Integer[pointCount];
    for (int m = 0; m < memberCount; m++) {
      for (int i = 0; i < virtualNodesPerPhysical; i++) {
        int p = m * virtualNodesPerPhysical + i;
        unsortedPositions[p] = RingHashing.pointPosition(memberIds[m], i);
        order[p] = p;
      }
    }
    // Unsigned position first; on a (practically impossible) hash tie, node id then point
    // index, so every client builds the same order. Members are sorted by id, so comparing
    // the point number p = member * vnodes + index compares (node id, index).
    Arrays.sort(order, (a, b) -> {
      int byPosition = Long.compareUnsigned(unsortedPositions[a], unsortedPositions[b]);
      return byPosition != 0 ? byPosition : Integer.compare(a, b);
    });

    positions = new long[pointCount];
    pointMembers = new int[pointCount];
    List<RingPoint> pointList = new ArrayList<>(pointCount);
    for (int k = 0; k < pointCount; k++) {
      int p = order[k];
      positions[k] = unsortedPositions[p];
      pointMembers[k] = p / virtualNodesPerPhysical;
      pointList.add(new RingPoint(positions[k], memberIds[pointMembers[k]]));
    }
    points = Collections.unmodifiableList(pointList);
    ownershipShares = RingShares.of(points);
  }

  /**
   * Builds a ring from explicit members.
   *
   * @param members the physical nodes; ids must be distinct. May be empty (every lookup then
   *     throws {@link InsufficientNodesException}).
   * @param virtualNodesPerPhysical points per member, {@code >= 1}
   * @param replicationFactor distinct nodes per key, {@code >= 1}
   * @throws IllegalArgumentException on a non-positive count or a duplicate node id
   * @throws NullPointerException if {@code members} or one of its elements is null
   */
  public static ConsistentHashRing of(Collection<RingMember> members,
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
    List<RingMember> sorted = new ArrayList<>(members.size());
    Set<String> seen = new HashSet<>();
    for (RingMember member : members) {
      Objects.requireNonNull(member, "member");
      if (!seen.add(member.nodeId())) {
        throw new IllegalArgumentException("duplicate node id: " + member.nodeId());
      }
      sorted.add(member);
    }
    // Sorting by id makes the point order independent of the caller's iteration order.
    sorted.sort(Comparator.comparing(RingMember::nodeId));
    return new ConsistentHashRing(sorted, virtualNodesPerPhysical, replicationFactor);
  }

  /**
   * Builds the ring of a topology: the members are the OBJECT nodes in state ACTIVE, SUSPECT or
   * DRAINING, DRAINING ones flagged as draining. Other node types and states (JOINING, DOWN,
   * UNKNOWN) are not members. A config field left at 0 takes its default
   * ({@link #DEFAULT_VIRTUAL_NODES}, {@link #DEFAULT_REPLICATION_FACTOR}).
   *
   * @throws IllegalArgumentException if a config value exceeds {@link Integer#MAX_VALUE} (a
   *     uint32 read as a negative int), or on duplicate member ids
   * @throws NullPointerException if an argument or a node is null
   */
  public static ConsistentHashRing fromNodes(Collection<NodeInfo> nodes, HashRingConfig config) {
    Objects.requireNonNull(nodes, "nodes");
    Objects.requireNonNull(config, "config");
    List<RingMember> members = new ArrayList<>();
    for (NodeInfo node : nodes) {
      Objects.requireNonNull(node, "node");
      if (node.getType() != NodeType.NODE_TYPE_OBJECT) {
        continue;
      }
      NodeState state = node.getState();
      if (state == NodeState.NODE_STATE_ACTIVE || state == NodeState.NODE_STATE_SUSPECT) {
        // SUSPECT nodes stay in: they may only be slow, and moving data on every missed
        // heartbeat would churn placement.
        members.add(new RingMember(node.getId(), false));
      } else if (state == NodeState.NODE_STATE_DRAINING) {
        members.add(new RingMember(node.getId(), true));
      }
    }
    return of(members,
        orDefault(config.getVirtualNodesPerPhysical(), DEFAULT_VIRTUAL_NODES,
            "virtual_nodes_per_physical"),
        orDefault(config.getReplicationFactor(), DEFAULT_REPLICATION_FACTOR,
            "replication_factor"));
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
    return virtualNodesPerPhysical;
  }

  /** Distinct nodes each key is placed on. */
  public int replicationFactor() {
    return replicationFactor;
  }

  /** Number of physical members, draining ones included. */
  public int memberCount() {
    return memberIds.length;
  }

  /** The physical members ordered by node id, draining ones flagged. Unmodifiable. */
  public List<RingMember> members() {
    List<RingMember> out = new ArrayList<>(memberIds.length);
    for (int m = 0; m < memberIds.length; m++) {
      out.add(new RingMember(memberIds[m], memberDraining[m]));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Visits the distinct members in the order placement takes them: walking the points from the
   * first one at or after {@code position}, wrapping around, each member once. Plain placement
   * is the first {@link #replicationFactor()} members of this walk; other placements (such as
   * {@link LabelSpread}) choose among them in the same order.
   *
   * @param skipDraining leave DRAINING members out (write placement)
   * @param visitor gets each member's id; returns false to stop the walk
   */
  public void walkFrom(long position, boolean skipDraining, Predicate<String> visitor) {
    int eligible = skipDraining ? writableMemberCount : memberIds.length;
    if (eligible == 0) {
      return;
    }
    boolean[] seen = new boolean[memberIds.length];
    int visited = 0;
    int k = firstPointAtOrAfter(position);
    for (int step = 0; step < positions.length && visited < eligible; step++) {
      int member = pointMembers[k];
      if (!seen[member] && !(skipDraining && memberDraining[member])) {
        seen[member] = true;
        visited++;
        if (!visitor.test(memberIds[member])) {
          return;
        }
      }
      k = (k + 1 == positions.length) ? 0 : k + 1;
    }
  }

  /**
   * All points sorted by unsigned position (ties by node id, then point index). Unmodifiable.
   */
  public List<RingPoint> points() {
    return points;
  }

  /**
   * Read replicas of a key: all members are eligible, draining ones included.
   *
   * @return {@link #replicationFactor()} distinct node ids, primary first; unmodifiable
   * @throws InsufficientNodesException if the ring has fewer members than the replication factor
   */
  public List<String> replicasFor(byte[] key) {
    return replicasForPosition(RingHashing.keyPosition(key));
  }

  /** Read replicas of a string key, hashed as its UTF-8 bytes. See {@link #replicasFor(byte[])}. */
  public List<String> replicasFor(String key) {
    return replicasFor(Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Read replicas of a 32-byte object id, placed at its own first 8 bytes (not hashed).
   *
   * @throws IllegalArgumentException if {@code objectId} is not 32 bytes long
   * @throws InsufficientNodesException as for {@link #replicasFor(byte[])}
   */
  public List<String> replicasForObjectId(byte[] objectId) {
    return replicasForPosition(RingHashing.objectIdPosition(objectId));
  }

  /**
   * Read replicas of an unsigned ring position. See {@link #replicasFor(byte[])}.
   */
  public List<String> replicasForPosition(long position) {
    return walk(position, false);
  }

  /**
   * Write replicas of a key: like {@link #replicasFor(byte[])} but DRAINING members are
   * skipped, so new data does not land on a node that is leaving.
   *
   * @throws InsufficientNodesException if fewer non-draining members exist than the
   *     replication factor
   */
  public List<String> replicasForWrite(byte[] key) {
    return replicasForPositionWrite(RingHashing.keyPosition(key));
  }

  /** Write replicas of an unsigned ring position. See {@link #replicasForWrite(byte[])}. */
  public List<String> replicasForPositionWrite(long position) {
    return walk(position, true);
  }

  /** Write replicas of a string key (UTF-8). See {@link #replicasForWrite(byte[])}. */
  public List<String> replicasForWrite(String key) {
    return replicasForWrite(
        Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8));
  }

  private List<String> walk(long position, boolean skipDraining) {
    int eligible = skipDraining ? writableMemberCount : memberIds.length;
    if (eligible < replicationFactor) {
      throw new InsufficientNodesException(replicationFactor, eligible);
    }
    // Each eligible member has at least one point, so one lap always finds enough nodes.
    int[] chosen = new int[replicationFactor];
    int found = 0;
    int k = firstPointAtOrAfter(position);
    for (int step = 0; step < positions.length && found < replicationFactor; step++) {
      int member = pointMembers[k];
      if (!(skipDraining && memberDraining[member]) && !contains(chosen, found, member)) {
        chosen[found++] = member;
      }
      k = (k + 1 == positions.length) ? 0 : k + 1;
    }
    String[] replicas = new String[found];
    for (int r = 0; r < found; r++) {
      replicas[r] = memberIds[chosen[r]];
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

  /** Index of the first point with position >= {@code position} (unsigned), wrapping to 0. */
  private int firstPointAtOrAfter(long position) {
    int low = 0;
    int high = positions.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (Long.compareUnsigned(positions[mid], position) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low == positions.length ? 0 : low;
  }

  /**
   * The fraction of the 2<sup>64</sup> key space each member owns as primary: each point owns
   * the arc from the previous point (exclusive) to itself (inclusive), the first point's arc
   * wrapping past the top of the key space. Every member appears, ordered by node id; values sum
   * to 1.0 (up to floating point rounding) for a non-empty ring. Unmodifiable.
   */
  public Map<String, Double> ownershipShares() {
    return ownershipShares;
  }

  /** The points as protobuf entries, in {@link #points()} order (for {@code GetHashRing}). */
  public List<HashRingEntry> toEntries() {
    List<HashRingEntry> entries = new ArrayList<>(positions.length);
    for (RingPoint point : points) {
      entries.add(HashRingEntry.newBuilder()
          .setPosition(point.position())
          .setNodeId(point.nodeId())
          .build());
    }
    return Collections.unmodifiableList(entries);
  }

  @Override
  public String toString() {
    return "ConsistentHashRing{members=" + memberIds.length
        + ", virtualNodesPerPhysical=" + virtualNodesPerPhysical
        + ", replicationFactor=" + replicationFactor + "}";
  }
}
