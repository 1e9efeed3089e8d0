package io.gitstratum.coordinator.client.ring;

import io.gitstratum.coordinator.proto.NodeState;
import java.util.Objects;

/**
 * A physical node on the hash ring. Every object node is a member whatever its state, so its
 * points never move when its state changes; only a member that can serve is a replica.
 *
 * <p>Immutable and therefore thread-safe.
 *
 * @param nodeId the node's id; non-null and non-empty
 * @param serving whether the node can serve (ACTIVE or DRAINING; see {@link #canServe})
 */
public record RingMember(String nodeId, boolean serving) {

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

  /**
   * Whether a node in {@code state} can serve, as gitstratum's ring decides: ACTIVE and DRAINING
   * can; JOINING and DOWN cannot, and SUSPECT and UNKNOWN, which its ring does not know, count
   * as DOWN.
   */
  public static boolean canServe(NodeState state) {
    return state == NodeState.NODE_STATE_ACTIVE || state == NodeState.NODE_STATE_DRAINING;
  }
}
