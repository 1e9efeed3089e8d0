package io.gitstratum.coordinator.client.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The position functions of the hash ring (CONTRACT.md, section "Hash ring"), which must match
 * gitstratum's Rust ring bit for bit.
 *
 * <p>All positions are unsigned 64-bit values carried in a {@code long}. Every method is a pure
 * function and safe to call from any number of threads: each thread uses its own
 * {@link MessageDigest} (digests are stateful and not thread-safe).
 */
public final class RingHashing {

  /** Length in bytes of an object id (a SHA-256 digest). */
  public static final int OBJECT_ID_LENGTH = 32;

  // Reads 8 bytes as a little-endian long without allocating a ByteBuffer.
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final ThreadLocal<Sha256> SHA256 = ThreadLocal.withInitial(Sha256::new);

  private RingHashing() {
  }

  /**
   * Position of point {@code index} of node {@code nodeId}: the first 8 bytes, little-endian, of
   * SHA-256(UTF-8(nodeId) ++ index as a 4-byte little-endian unsigned integer).
   *
   * @throws NullPointerException if {@code nodeId} is null
   * @throws IllegalArgumentException if {@code index} is negative
   */
  public static long pointPosition(String nodeId, int index) {
    Objects.requireNonNull(nodeId, "nodeId");
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    Sha256 sha = SHA256.get();
    MessageDigest md = sha.begin();
    md.update(nodeId.getBytes(StandardCharsets.UTF_8));
    md.update((byte) index);
    md.update((byte) (index >>> 8));
    md.update((byte) (index >>> 16));
    md.update((byte) (index >>> 24));
    return sha.finish();
  }

  /**
   * Position of a key: the first 8 bytes, little-endian, of SHA-256(key).
   *
   * @throws NullPointerException if {@code key} is null
   */
  public static long keyPosition(byte[] key) {
    Objects.requireNonNull(key, "key");
    Sha256 sha = SHA256.get();
    sha.begin().update(key);
    return sha.finish();
  }

  /**
   * Position of a 32-byte object id: its own first 8 bytes, little-endian. Object ids are
   * already uniformly distributed hashes, so they are not hashed again.
   *
   * @throws NullPointerException if {@code objectId} is null
   * @throws IllegalArgumentException if {@code objectId} is not exactly 32 bytes long
   */
  public static long objectIdPosition(byte[] objectId) {
    Objects.requireNonNull(objectId, "objectId");
    if (objectId.length != OBJECT_ID_LENGTH) {
      throw new IllegalArgumentException("object id must be " + OBJECT_ID_LENGTH
          + " bytes, got " + objectId.length);
    }
    return (long) LONG_LE.get(objectId, 0);
  }

  /** A thread's digest plus a reusable output buffer, so a position costs no garbage. */
  private static final class Sha256 {
    final MessageDigest digest;
    final byte[] out = new byte[32];

    Sha256() {
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        // Every Java platform is required to provide SHA-256.
        throw new IllegalStateException("SHA-256 not available", e);
      }
    }

    /** Returns the digest, reset in case an earlier use on this thread was interrupted. */
    MessageDigest begin() {
      digest.reset();
      return digest;
    }

    /** Completes the digest (which also resets it) and returns its first 8 bytes, LE. */
    long finish() {
      try {
        digest.digest(out, 0, out.length);
      } catch (DigestException e) {
        throw new IllegalStateException("SHA-256 digest failed", e);
      }
      return (long) LONG_LE.get(out, 0);
    }
  }
}
