package io.gitstratum.coordinator.client.ring;

import java.util.Objects;

/**
 * A physical node that takes part in the hash ring.
 *
 * <p>A draining member keeps its points, so it still serves reads of the data it holds, but it is
 * skipped when placing writes (see {@link ConsistentHashRing#replicasForWrite(byte[])}).
 *
 * <p>Immutable and therefore thread-safe.
 *
 * @param nodeId the node's id; non-null and non-empty
 * @param draining whether the node is DRAINING (excluded from write placement)
 */
public record RingMember(String nodeId, boolean draining) {

  /**
   * @throws NullPointerException if {@code nodeId} is null
   * @throws IllegalArgumentException if {@code nodeId} is empty
   */
  public RingMember {
    Objects.requireNonNull(nodeId, "nodeId");
    if (nodeId.isEmpty()) {
      throw new IllegalArgumentException("nodeId must not be empty");
    }
  }
}
