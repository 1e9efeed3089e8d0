package io.gitstratum.coordinator.client.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RingHashingTest {

  /** Straightforward restatement of the contract, with a fresh digest and ByteBuffers. */
  private static long referenceSha256Prefix(byte[] input) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(input);
      return ByteBuffer.wrap(digest).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static long referencePointPosition(String nodeId, int index) {
    byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
    ByteBuffer input = ByteBuffer.allocate(id.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    input.put(id).putInt(index);
    return referenceSha256Prefix(input.array());
  }

  // The vectors only cover small indexes; these exercise every byte of the 4-byte index.
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 15, 255, 256, 65_535, 65_536, 16_777_216, Integer.MAX_VALUE})
  void pointPositionEncodesIndexAsFourByteLittleEndian(int index) {
    assertEquals(referencePointPosition("object-1", index),
        RingHashing.pointPosition("object-1", index));
  }

  @Test
  void pointPositionHashesNodeIdAsUtf8() {
    assertEquals(referencePointPosition("nœud-ü-κ", 3), RingHashing.pointPosition("nœud-ü-κ", 3));
  }

  @Test
  void pointPositionRejectsNegativeIndex() {
    assertThrows(IllegalArgumentException.class, () -> RingHashing.pointPosition("n", -1));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 55, 56, 64, 1000, 100_000})
  void keyPositionIsLittleEndianPrefixOfSha256(int length) {
    byte[] key = new byte[length];
    for (int i = 0; i < length; i++) {
      key[i] = (byte) (i * 31 + 7);
    }
    assertEquals(referenceSha256Prefix(key), RingHashing.keyPosition(key));
  }

  @Test
  void objectIdPositionIsItsOwnFirstEightBytesLittleEndian() {
    byte[] oid = new byte[32];
    oid[0] = 1;
    assertEquals(1L, RingHashing.objectIdPosition(oid));

    oid[0] = 0;
    oid[7] = (byte) 0x80;
    assertEquals("9223372036854775808",
        Long.toUnsignedString(RingHashing.objectIdPosition(oid)));

    // Bytes past the first eight do not move the position.
    for (int i = 8; i < 32; i++) {
      oid[i] = (byte) 0xff;
    }
    assertEquals(Long.MIN_VALUE, RingHashing.objectIdPosition(oid));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 8, 20, 31, 33, 64})
  void objectIdPositionRejectsWrongLength(int length) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RingHashing.objectIdPosition(new byte[length]));
    assertEquals("object id must be 32 bytes, got " + length, e.getMessage());
  }

  @Test
  void nullInputsAreRejected() {
    assertThrows(NullPointerException.class, () -> RingHashing.objectIdPosition(null));
    assertThrows(NullPointerException.class, () -> RingHashing.keyPosition(null));
    assertThrows(NullPointerException.class, () -> RingHashing.pointPosition(null, 0));
  }

  @Test
  void concurrentCallersGetTheSameValuesAsOneThread() throws Exception {
    int count = 2_000;
    long[] expected = new long[count];
    for (int i = 0; i < count; i++) {
      expected[i] = referencePointPosition("node-" + (i % 7), i);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<long[]>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          long[] actual = new long[count];
          for (int i = 0; i < count; i++) {
            actual[i] = RingHashing.pointPosition("node-" + (i % 7), i);
            // Interleave the other hash on the same thread-local digest.
            RingHashing.keyPosition(new byte[] {(byte) i});
          }
          return actual;
        }));
      }
      for (Future<long[]> result : results) {
        long[] actual = result.get(30, TimeUnit.SECONDS);
        for (int i = 0; i < count; i++) {
          assertEquals(expected[i], actual[i], "point " + i);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
