package io.gitstratum.coordinator.facade.store;

import picocli.CommandLine.Option;

/**
 * etcd's limits on one transaction, as the facade's write path keeps to them: a batch of the
 * group commit closes before the next command would pass either. They mirror the etcd server's
 * own flags ({@code --max-txn-ops}, default 128; {@code --max-request-bytes}, default 1.5 MiB):
 * set them to the cluster's values, or lower. A transaction etcd still refuses is split, never
 * resent as it was.
 *
 * @param maxOps compares, writes and reads per transaction at most (each counted on its own)
 * @param maxBytes request bytes per transaction at most
 */
public record TxnLimits(int maxOps, long maxBytes) {
  /** etcd's default {@code --max-txn-ops}. */
  public static final int ETCD_DEFAULT_MAX_OPS = 128;

  /** Under etcd's default {@code --max-request-bytes} of 1.5 MiB, with room for framing. */
  public static final long DEFAULT_MAX_BYTES = 1L << 20;

  public static final TxnLimits DEFAULTS = new TxnLimits(ETCD_DEFAULT_MAX_OPS, DEFAULT_MAX_BYTES);

  /** Room for the largest single command's writes and guards. */
  public static final int MIN_OPS = 8;

  /** Room for one registration with 64 labels of 256 characters, written twice, and history. */
  public static final long MIN_BYTES = 64 * 1024;

  public TxnLimits {
    if (maxOps < MIN_OPS) {
      throw new IllegalArgumentException("--etcd-max-txn-ops must be >= " + MIN_OPS);
    }
    if (maxBytes < MIN_BYTES) {
      throw new IllegalArgumentException("--etcd-max-txn-bytes must be >= " + MIN_BYTES);
    }
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--etcd-max-txn-ops", defaultValue = "128",
        description = "operations per etcd transaction at most, as etcd's --max-txn-ops "
            + "(default ${DEFAULT-VALUE})")
    int maxOps;

    @Option(names = "--etcd-max-txn-bytes", defaultValue = "1048576",
        description = "request bytes per etcd transaction at most, below etcd's "
            + "--max-request-bytes (default ${DEFAULT-VALUE})")
    long maxBytes;

    public TxnLimits toSettings() {
      return new TxnLimits(maxOps, maxBytes);
    }
  }
}
