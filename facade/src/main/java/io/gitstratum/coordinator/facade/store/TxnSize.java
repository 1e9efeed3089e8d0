package io.gitstratum.coordinator.facade.store;

import java.nio.charset.StandardCharsets;

/**
 * What a transaction costs against etcd's limits, which etcd checks separately: its compares,
 * its writes (the success branch) and its reads when the compares fail (the failure branch),
 * each at most {@code --max-txn-ops}; and the request's bytes, at most
 * {@code --max-request-bytes}. Sizes are counted from the keys and encoded values, with a few
 * bytes per operation for protobuf's framing, so they are a little above the real request.
 *
 * @param compares etcd compares in the If
 * @param writes puts and deletes in the Then
 * @param reads gets in the Else
 * @param bytes request bytes
 */
public record TxnSize(int compares, int writes, int reads, long bytes) {
  public static final TxnSize ZERO = new TxnSize(0, 0, 0, 0);

  /** Framing of one operation (tags, lengths, lease and option fields), rounded up. */
  static final int OP_OVERHEAD = 32;

  public TxnSize plus(TxnSize other) {
    return new TxnSize(compares + other.compares, writes + other.writes, reads + other.reads,
        bytes + other.bytes);
  }

  /** Whether a transaction of this size is within {@code limits}. */
  public boolean within(TxnLimits limits) {
    return compares <= limits.maxOps() && writes <= limits.maxOps() && reads <= limits.maxOps()
        && bytes <= limits.maxBytes();
  }

  static TxnSize put(String key, int valueBytes) {
    return new TxnSize(0, 1, 0, keyBytes(key) + valueBytes + OP_OVERHEAD);
  }

  static TxnSize delete(String key) {
    return new TxnSize(0, 1, 0, keyBytes(key) + OP_OVERHEAD);
  }

  /** A compare on {@code key} with its read when the compare fails. */
  static TxnSize guard(String key) {
    return new TxnSize(1, 0, 1, 2L * (keyBytes(key) + OP_OVERHEAD));
  }

  private static long keyBytes(String key) {
    return key.getBytes(StandardCharsets.UTF_8).length;
  }
}
