package io.gitstratum.coordinator.client.ring;

/**
 * Thrown when a placement asks for more distinct replicas than the ring has eligible members:
 * all members for reads, the non-draining ones for writes.
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
   * @param available the number of eligible distinct nodes the ring has
   */
  public InsufficientNodesException(int required, int available) {
    super("insufficient nodes: placement needs " + required
        + " distinct nodes but the ring has " + available + " eligible");
    this.required = required;
    this.available = available;
  }

  /** The number of distinct nodes the placement needs (the replication factor). */
  public int required() {
    return required;
  }

  /** The number of eligible distinct nodes the ring had. */
  public int available() {
    return available;
  }
}
