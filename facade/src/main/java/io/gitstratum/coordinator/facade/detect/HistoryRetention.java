package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.facade.store.EtcdAdminStore.ChangeTime;
import java.util.List;

/** Which retained changes are past --history-retention (pure). */
final class HistoryRetention {
  private HistoryRetention() {}

  /**
   * The first version to keep by time: that of the first of {@code oldest} (the oldest retained
   * changes, oldest first) written at or after {@code cutoffMs}; past the last of them when all
   * are older (the next trim reads on); 1 (keep everything) when none is known.
   */
  static long firstYoungerThan(List<ChangeTime> oldest, long cutoffMs) {
    for (ChangeTime change : oldest) {
      if (change.atMs() >= cutoffMs) {
        return change.version();
      }
    }
    return oldest.isEmpty() ? 1 : oldest.get(oldest.size() - 1).version() + 1;
  }
}
