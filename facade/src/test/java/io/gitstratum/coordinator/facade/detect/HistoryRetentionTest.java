package io.gitstratum.coordinator.facade.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.facade.store.EtcdAdminStore.ChangeTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryRetentionTest {
  @Test
  void keepsFromTheFirstChangeWrittenAtOrAfterTheCutoff() {
    List<ChangeTime> oldest = List.of(new ChangeTime(7, 100), new ChangeTime(8, 200),
        new ChangeTime(9, 300));
    assertEquals(7, HistoryRetention.firstYoungerThan(oldest, 50));
    assertEquals(8, HistoryRetention.firstYoungerThan(oldest, 200));
    assertEquals(9, HistoryRetention.firstYoungerThan(oldest, 201));
    // All older: everything read goes; the next trim reads the following ones.
    assertEquals(10, HistoryRetention.firstYoungerThan(oldest, 301));
    assertEquals(1, HistoryRetention.firstYoungerThan(List.of(), 301));
  }
}
