package io.gitstratum.coordinator.facade.write;

import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.facade.store.TxnSize;

/**
 * What one batch has used of etcd's transaction limits: it starts with the version key's compare
 * and takes a command only while the whole stays within them. The new version's put is counted
 * once, with the first command that changes the topology. Commands are sized from what they
 * write, and keys two commands both write count twice, so the sum is an upper bound. Not
 * thread-safe: one per batch, on the writer thread.
 */
final class TxnBudget {
  private final TxnLimits limits;
  private final TxnSize versionPut;
  private TxnSize used;
  private boolean changes;

  /**
   * @param base what every commit costs (the version key's compare and its read)
   * @param versionPut the new version's put, paid once by a batch with changes
   */
  TxnBudget(TxnLimits limits, TxnSize base, TxnSize versionPut) {
    this.limits = limits;
    this.versionPut = versionPut;
    this.used = base;
  }

  /**
   * Takes a command of {@code size} if the batch stays within the limits with it.
   *
   * @param changesTopology whether the command adds topology changes (then the version is put)
   */
  boolean take(TxnSize size, boolean changesTopology) {
    TxnSize next = used.plus(size);
    if (changesTopology && !changes) {
      next = next.plus(versionPut);
    }
    if (!next.within(limits)) {
      return false;
    }
    used = next;
    changes |= changesTopology;
    return true;
  }

  TxnSize used() {
    return used;
  }

  TxnLimits limits() {
    return limits;
  }
}
