package io.gitstratum.coordinator.client.ring;

/**
 * Thrown when a placement asks for more distinct replicas than the ring has members that can
 * serve (gitstratum's {@code InsufficientNodes}).
 *
 * <p>Unchecked, because it reflects the cluster's current membership rather than a programming
 * error the caller could have avoided; callers typically surface it as "unavailable, retry later".
 */
public class InsufficientNodesException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int required;
  private final int available;

  /**
   * @param required the number of distinct nodes the placement needs (the replication factor)
   * @param available the number of members that can serve
   */
  public InsufficientNodesException(int required, int available) {
    super("insufficient nodes: placement needs " + required
        + " distinct nodes but only " + available + " ring members can serve");
    this.required = required;
    this.available = available;
  }

  /** The number of distinct nodes the placement needs (the replication factor). */
  public int required() {
    return required;
  }

  /** The number of ring members that could serve. */
  public int available() {
    return available;
  }
}
