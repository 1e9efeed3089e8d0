package io.gitstratum.coordinator.client.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The points of a ring's members, computed once: who the members are and where their points sit,
 * with nothing about whether they serve. A state change keeps the layout (a new ring shares it);
 * a membership change builds a new one that takes every remaining member's positions from the old
 * layout and merges the new members' points into the old order, so only new members are hashed
 * and nothing is sorted again but their own points. Immutable and thread-safe.
 *
 * <p>Order: unsigned position, then insertion order (members by id, then point index).
 * gitstratum's ring is a map from position to node, so at one position the point inserted last
 * stays; the others are dropped.
 */
final class RingLayout {
  static final RingLayout EMPTY =
      new RingLayout(new String[0], 1, new long[0][], new long[0], new int[0]);

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

  private RingLayout(String[] memberIds, int virtualNodesPerPhysical, long[][] memberPositions,
      long[] positions, int[] pointMembers) {
    this.memberIds = memberIds;
    this.virtualNodesPerPhysical = virtualNodesPerPhysical;
    this.memberPositions = memberPositions;
    this.positions = positions;
    this.pointMembers = pointMembers;
  }

  /**
   * The layout of {@code sortedIds} (distinct, sorted by {@link String#compareTo}): this one when
   * it has exactly those members and point count, otherwise a new one that hashes only the ids
   * this one lacks.
   */
  RingLayout withMembers(String[] sortedIds, int virtualNodes) {
    boolean samePoints = virtualNodes == virtualNodesPerPhysical;
    if (samePoints && Arrays.equals(sortedIds, memberIds)) {
      return this;
    }
    // Walk both sorted id lists at once: old member i is new member newIndex[i], or gone (-1).
    int[] newIndex = new int[memberIds.length];
    long[][] memberPoints = new long[sortedIds.length][];
    List<Integer> added = new ArrayList<>();
    int i = 0;
    for (int j = 0; j < sortedIds.length; j++) {
      while (i < memberIds.length && memberIds[i].compareTo(sortedIds[j]) < 0) {
        newIndex[i++] = -1;
      }
      if (samePoints && i < memberIds.length && memberIds[i].equals(sortedIds[j])) {
        newIndex[i] = j;
        memberPoints[j] = memberPositions[i++];
      } else {
        memberPoints[j] = hash(sortedIds[j], virtualNodes);
        added.add(j);
      }
    }
    while (i < memberIds.length) {
      newIndex[i++] = -1;
    }
    boolean droppedAny = positions.length != memberIds.length * virtualNodesPerPhysical;
    if (!samePoints || droppedAny) {
      // A dropped point may come back once the member that took its place leaves: start over.
      return build(sortedIds, virtualNodes, memberPoints);
    }
    return merged(sortedIds, memberPoints, newIndex, added);
  }

  /** Every point sorted afresh (a first build, or a new point count). */
  private static RingLayout build(String[] ids, int virtualNodes, long[][] memberPoints) {
    int all = Math.multiplyExact(ids.length, virtualNodes);
    long[] keys = new long[all];
    int[] owners = new int[all];
    for (int m = 0; m < ids.length; m++) {
      for (int p = 0; p < virtualNodes; p++) {
        keys[m * virtualNodes + p] = memberPoints[m][p];
        owners[m * virtualNodes + p] = m;
      }
    }
    radixSort(keys, owners);
    int kept = keepLastAtEachPosition(keys, owners, all);
    return new RingLayout(ids, virtualNodes, memberPoints, trim(keys, kept),
        trim(owners, kept));
  }

  /** The old order without the members gone, merged with the new members' sorted points. */
  private RingLayout merged(String[] ids, long[][] memberPoints, int[] newIndex,
      List<Integer> added) {
    int vnodes = virtualNodesPerPhysical;
    long[] addKeys = new long[added.size() * vnodes];
    int[] addOwners = new int[addKeys.length];
    for (int a = 0; a < added.size(); a++) {
      int m = added.get(a);
      for (int p = 0; p < vnodes; p++) {
        addKeys[a * vnodes + p] = memberPoints[m][p];
        addOwners[a * vnodes + p] = m;
      }
    }
    radixSort(addKeys, addOwners);
    long[] keys = new long[ids.length * vnodes];
    int[] owners = new int[keys.length];
    int out = 0;
    int a = 0;
    for (int k = 0; k <= positions.length; k++) {
      int owner = k < positions.length ? newIndex[pointMembers[k]] : -1;
      if (k < positions.length && owner < 0) {
        continue;
      }
      // New points first while they sort before this old one (at one position: the member
      // inserted first, i.e. the lower id, comes first and the later one stays).
      while (a < addKeys.length && (k == positions.length
          || before(addKeys[a], addOwners[a], positions[k], owner))) {
        keys[out] = addKeys[a];
        owners[out++] = addOwners[a++];
      }
      if (k < positions.length) {
        keys[out] = positions[k];
        owners[out++] = owner;
      }
    }
    int kept = keepLastAtEachPosition(keys, owners, out);
    return new RingLayout(ids, vnodes, memberPoints, trim(keys, kept), trim(owners, kept));
  }

  private static boolean before(long position, int owner, long otherPosition, int otherOwner) {
    int byPosition = Long.compareUnsigned(position, otherPosition);
    return byPosition < 0 || (byPosition == 0 && owner < otherOwner);
  }

  /** Drops all but the last of each run of equal positions, in place; returns the new length. */
  private static int keepLastAtEachPosition(long[] keys, int[] owners, int length) {
    int kept = 0;
    for (int k = 0; k < length; k++) {
      if (kept > 0 && keys[kept - 1] == keys[k]) {
        kept--;
      }
      keys[kept] = keys[k];
      owners[kept++] = owners[k];
    }
    return kept;
  }

  /**
   * Sorts {@code keys} as unsigned values and {@code values} along with them; stable, so equal
   * keys keep their order. LSD radix, 8 bits a pass: no boxing, linear in the point count.
   */
  static void radixSort(long[] keys, int[] values) {
    int n = keys.length;
    long[] keysIn = keys;
    int[] valuesIn = values;
    long[] keysOut = new long[n];
    int[] valuesOut = new int[n];
    int[] count = new int[257];
    for (int shift = 0; shift < Long.SIZE; shift += 8) {
      Arrays.fill(count, 0);
      for (int k = 0; k < n; k++) {
        count[(int) ((keysIn[k] >>> shift) & 0xFF) + 1]++;
      }
      for (int b = 0; b < 256; b++) {
        count[b + 1] += count[b];
      }
      for (int k = 0; k < n; k++) {
        int at = count[(int) ((keysIn[k] >>> shift) & 0xFF)]++;
        keysOut[at] = keysIn[k];
        valuesOut[at] = valuesIn[k];
      }
      long[] keysSwap = keysIn;
      keysIn = keysOut;
      keysOut = keysSwap;
      int[] valuesSwap = valuesIn;
      valuesIn = valuesOut;
      valuesOut = valuesSwap;
    }
    // Eight passes, an even number of swaps: the sorted data is back in the caller's arrays.
  }

  private static long[] trim(long[] values, int length) {
    return length == values.length ? values : Arrays.copyOf(values, length);
  }

  private static int[] trim(int[] values, int length) {
    return length == values.length ? values : Arrays.copyOf(values, length);
  }

  private static long[] hash(String nodeId, int virtualNodes) {
    long[] out = new long[virtualNodes];
    for (int i = 0; i < virtualNodes; i++) {
      out[i] = RingHashing.pointPosition(nodeId, i);
    }
    return out;
  }

  /** Index of a member id, or {@code -(insertion point) - 1} when it is not a member. */
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
