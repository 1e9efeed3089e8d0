package io.gitstratum.coordinator.facade.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {
  private final List<String> log = new ArrayList<>();

  private Lifecycle.Step note(String what) {
    return () -> log.add(what);
  }

  @Test
  void partsStartInOrderAndStopInReverse() throws Exception {
    Lifecycle parts = new Lifecycle()
        .release("client", note("close client"))
        .add("cache", note("start cache"), note("stop cache"))
        .begin("reloading", note("start reloading"))
        .add("port", note("open port"), note("close port"));
    parts.start();
    parts.stop();
    parts.stop(); // a second stop does nothing
    assertEquals(List.of("start cache", "start reloading", "open port",
        "close port", "stop cache", "close client"), log);
  }

  @Test
  void aFailedStartStopsWhatHadStartedAndFails() {
    IOException taken = new IOException("port taken");
    Lifecycle parts = new Lifecycle()
        .release("client", note("close client"))
        .add("cache", note("start cache"), note("stop cache"))
        .add("port", () -> {
          throw taken;
        }, note("close port"))
        .add("http", note("start http"), note("stop http"));
    assertSame(taken, assertThrows(IOException.class, parts::start));
    assertEquals(List.of("start cache", "stop cache", "close client"), log);
  }

  @Test
  void aFailingStopDoesNotKeepTheOthersFromStopping() throws Exception {
    Lifecycle parts = new Lifecycle()
        .release("client", note("close client"))
        .add("cache", note("start cache"), () -> {
          throw new IllegalStateException("stuck");
        })
        .add("port", note("open port"), note("close port"));
    parts.start();
    parts.stop();
    assertEquals(List.of("start cache", "open port", "close port", "close client"), log);
  }
}
