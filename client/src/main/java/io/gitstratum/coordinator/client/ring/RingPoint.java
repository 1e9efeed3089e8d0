package io.gitstratum.coordinator.client.ring;

import java.util.Objects;

/**
 * One virtual node on the hash ring: a position in the unsigned 64-bit key space and the physical
 * node that owns it.
 *
 * <p>{@code position} is an unsigned 64-bit value carried in a {@code long}: values at or above
 * 2<sup>63</sup> appear negative when read as signed, so compare positions with
 * {@link Long#compareUnsigned(long, long)} and print them with {@link #positionUnsigned()}.
 *
 * <p>Immutable and therefore thread-safe.
 *
 * @param position unsigned 64-bit ring position
 * @param nodeId id of the physical node that owns this point; never null
 */
public record RingPoint(long position, String nodeId) {

  /** @throws NullPointerException if {@code nodeId} is null */
  public RingPoint {
    Objects.requireNonNull(nodeId, "nodeId");
  }

  /** The position as an unsigned decimal string, as it appears on the wire (uint64). */
  public String positionUnsigned() {
    return Long.toUnsignedString(position);
  }
}
