package io.gitstratum.coordinator.client.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The points of a ring's members, computed once: who the members are and where their points sit,
 * with nothing about whether they serve. A state change keeps the layout (a new ring shares it);
 * a membership change builds a new one that takes every remaining member's positions from the old
 * layout, so only new members are hashed. Immutable and thread-safe.
 */
final class RingLayout {
  static final RingLayout EMPTY = new RingLayout(new String[0], 1, new long[0][]);

  final int virtualNodesPerPhysical;
  /** Members sorted by id; points refer to them by index. */
  final String[] memberIds;
  /** Each member's point positions by point index (SHA-256, computed once per id). */
  final long[][] memberPositions;
  /** Parallel arrays in ring order: positions ascending as unsigned values. */
  final long[] positions;
  final int[] pointMembers;
  private volatile List<RingPoint> points;
  private volatile Map<String, Double> shares;

  private RingLayout(String[] memberIds, int virtualNodesPerPhysical, long[][] memberPositions) {
    this.memberIds = memberIds;
    this.virtualNodesPerPhysical = virtualNodesPerPhysical;
    this.memberPositions = memberPositions;
    int all = memberIds.length * virtualNodesPerPhysical;
    long[] unsorted = new long[all];
    Integer[] order = new Integer[all];
    for (int m = 0; m < memberIds.length; m++) {
      for (int i = 0; i < virtualNodesPerPhysical; i++) {
        int p = m * virtualNodesPerPhysical + i;
        unsorted[p] = memberPositions[m][i];
        order[p] = p;
      }
    }
    // Unsigned position, then insertion order (members by id, then point index). gitstratum's
    // ring is a map from position to node: at one position the point inserted last stays.
    Arrays.sort(order, (a, b) -> {
      int byPosition = Long.compareUnsigned(unsorted[a], unsorted[b]);
      return byPosition != 0 ? byPosition : Integer.compare(a, b);
    });
    long[] sortedPositions = new long[all];
    int[] sortedMembers = new int[all];
    int kept = 0;
    for (int k = 0; k < all; k++) {
      int p = order[k];
      if (kept > 0 && sortedPositions[kept - 1] == unsorted[p]) {
        kept--;
      }
      sortedPositions[kept] = unsorted[p];
      sortedMembers[kept] = p / virtualNodesPerPhysical;
      kept++;
    }
    this.positions = kept == all ? sortedPositions : Arrays.copyOf(sortedPositions, kept);
    this.pointMembers = kept == all ? sortedMembers : Arrays.copyOf(sortedMembers, kept);
  }

  /**
   * The layout of {@code sortedIds} (distinct, sorted): this one when it has exactly those
   * members and point count, otherwise a new one hashing only the ids this one lacks.
   */
  RingLayout withMembers(List<String> sortedIds, int virtualNodes) {
    if (virtualNodes == virtualNodesPerPhysical && sameMembers(sortedIds)) {
      return this;
    }
    Map<String, long[]> known = new HashMap<>();
    if (virtualNodes == virtualNodesPerPhysical) {
      for (int m = 0; m < memberIds.length; m++) {
        known.put(memberIds[m], memberPositions[m]);
      }
    }
    String[] ids = sortedIds.toArray(new String[0]);
    long[][] memberPoints = new long[ids.length][];
    for (int m = 0; m < ids.length; m++) {
      long[] cached = known.get(ids[m]);
      memberPoints[m] = cached != null ? cached : hash(ids[m], virtualNodes);
    }
    return new RingLayout(ids, virtualNodes, memberPoints);
  }

  private boolean sameMembers(List<String> sortedIds) {
    if (sortedIds.size() != memberIds.length) {
      return false;
    }
    for (int m = 0; m < memberIds.length; m++) {
      if (!memberIds[m].equals(sortedIds.get(m))) {
        return false;
      }
    }
    return true;
  }

  private static long[] hash(String nodeId, int virtualNodes) {
    long[] out = new long[virtualNodes];
    for (int i = 0; i < virtualNodes; i++) {
      out[i] = RingHashing.pointPosition(nodeId, i);
    }
    return out;
  }

  /** Index of a member id, or a negative number when it is not a member. */
  int indexOf(String nodeId) {
    return Arrays.binarySearch(memberIds, nodeId);
  }

  /** Index of the first point with position >= {@code position} (unsigned), wrapping to 0. */
  int firstPointAtOrAfter(long position) {
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

  /** The points in ring order, built on first use (racy but idempotent: the result is immutable). */
  List<RingPoint> points() {
    List<RingPoint> out = points;
    if (out == null) {
      List<RingPoint> built = new ArrayList<>(positions.length);
      for (int k = 0; k < positions.length; k++) {
        built.add(new RingPoint(positions[k], memberIds[pointMembers[k]]));
      }
      out = Collections.unmodifiableList(built);
      points = out;
    }
    return out;
  }

  /** Each member's share of the key space as primary ({@link RingShares}), built on first use. */
  Map<String, Double> shares() {
    Map<String, Double> out = shares;
    if (out == null) {
      out = RingShares.of(points());
      shares = out;
    }
    return out;
  }
}
