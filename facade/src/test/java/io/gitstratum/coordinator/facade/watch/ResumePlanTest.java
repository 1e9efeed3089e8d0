package io.gitstratum.coordinator.facade.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResumePlanTest {
  @ParameterizedTest(name = "since {0}, cached {1}, buffered {2}, etcd {3} -> {4}")
  @CsvSource({
      "0,  10, true,  -1, FULL_SYNC",
      "0,  0,  false, -1, FULL_SYNC",
      "10, 10, false, -1, LIVE",
      "7,  10, true,  -1, REPLAY_BUFFER",
      "7,  10, false, -1, REPLAY_LOG",
      "12, 10, false, -1, CATCH_UP",
      "12, 10, false, 12, CATCH_UP",
      "12, 10, false, 15, CATCH_UP",
      "12, 10, false, 11, FULL_SYNC",
  })
  void decides(long since, long cached, boolean buffered, long etcd, ResumePlan expected) {
    assertEquals(expected, ResumePlan.decide(since, cached, buffered, etcd));
  }
}
