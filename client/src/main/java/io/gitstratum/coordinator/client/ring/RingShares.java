package io.gitstratum.coordinator.client.ring;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The share of the 2<sup>64</sup> key space each node owns as primary, from a ring's points
 * (those of a {@link ConsistentHashRing} or of a {@code GetHashRing} answer). Pure and
 * thread-safe.
 */
public final class RingShares {
  /** Size of the key space, 2^64, as a double. */
  private static final double TWO_TO_64 = 0x1p64;

  private RingShares() {}

  /**
   * Each point owns the arc from the previous point (exclusive) to itself (inclusive), the first
   * point's arc wrapping past the top of the key space; a node's share is the sum of its arcs.
   * When every point sits at one position, the first point (lowest node id) owns everything.
   *
   * @param points in any order; sorted here by unsigned position, then node id
   * @return every node that has a point, ordered by node id; values sum to 1.0 (up to rounding)
   *     for a non-empty ring; unmodifiable
   */
  public static Map<String, Double> of(List<RingPoint> points) {
    List<RingPoint> sorted = new ArrayList<>(points);
    sorted.sort((a, b) -> {
      int byPosition = Long.compareUnsigned(a.position(), b.position());
      return byPosition != 0 ? byPosition : a.nodeId().compareTo(b.nodeId());
    });
    Map<String, Double> shares = new TreeMap<>();
    int n = sorted.size();
    boolean allEqual = true;
    for (int k = 0; k < n; k++) {
      RingPoint point = sorted.get(k);
      // Unsigned arc length mod 2^64: subtraction wraps exactly as the ring does.
      long arc = point.position() - sorted.get(k == 0 ? n - 1 : k - 1).position();
      if (arc != 0) {
        allEqual = false;
      }
      shares.merge(point.nodeId(), unsignedToDouble(arc) / TWO_TO_64, Double::sum);
    }
    if (n > 0 && allEqual) {
      shares.put(sorted.get(0).nodeId(), 1.0);
    }
    return Collections.unmodifiableMap(shares);
  }

  private static double unsignedToDouble(long value) {
    double d = (double) (value >>> 1) * 2.0;
    return d + (value & 1L);
  }
}
