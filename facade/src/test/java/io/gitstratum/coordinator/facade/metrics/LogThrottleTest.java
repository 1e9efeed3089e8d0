package io.gitstratum.coordinator.facade.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
  @Test
  void oneLinePerKeyAndIntervalCountingWhatWasHeldBack() {
    AtomicLong now = new AtomicLong(5);
    LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10), now::get);
    List<String> lines = new ArrayList<>();

    throttle.log("a", held -> lines.add("a held " + held));
    throttle.log("a", held -> lines.add("a again"));
    throttle.log("a", held -> lines.add("a again"));
    throttle.log("b", held -> lines.add("b held " + held));
    assertEquals(List.of("a held 0", "b held 0"), lines, "each key has its own window");

    now.addAndGet(Duration.ofSeconds(10).toNanos() - 1);
    throttle.log("a", held -> lines.add("a too early"));
    now.addAndGet(1);
    throttle.log("a", held -> lines.add("a held " + held));
    assertEquals(List.of("a held 0", "b held 0", "a held 3"), lines);
    assertEquals("", LogThrottle.heldBack(0));
    assertEquals(" (3 more like it since the last such line)", LogThrottle.heldBack(3));
  }
}
