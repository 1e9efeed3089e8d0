package io.gitstratum.coordinator.client.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The heartbeat timing, run by hand: no facade, no waiting. */
class HeartbeatLoopTest {

  /** Runs nothing by itself: records what the loop scheduled, for the test to run. */
  private static final class ManualScheduler extends ScheduledThreadPoolExecutor {
    final Deque<Runnable> tasks = new ArrayDeque<>();
    final List<Duration> delays = new ArrayList<>();
    ScheduledFuture<?> last;

    ManualScheduler() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
      tasks.add(task);
      delays.add(Duration.ofNanos(unit.toNanos(delay)));
      last = super.schedule(() -> { }, 1, TimeUnit.DAYS); // a real future that never fires
      return last;
    }

    void runNext() {
      tasks.remove().run();
    }
  }

  private final ManualScheduler scheduler = new ManualScheduler();
  private long advice;
  private RuntimeException failure;
  private final HeartbeatLoop loop =
      new HeartbeatLoop("obj-1", this::beat, Duration.ofSeconds(10), scheduler);

  /** One heartbeat: takes the advice the facade would give, then fails when told to. */
  private void beat() {
    loop.advise(advice);
    RuntimeException f = failure;
    failure = null;
    if (f != null) {
      throw f;
    }
  }

  @AfterEach
  void shutdown() {
    scheduler.shutdownNow();
  }

  @Test
  void firstAtOnceThenAtTheAdvisedIntervalAndHalfOfItAfterAFailure() {
    loop.start();
    scheduler.runNext(); // no advice yet: the default
    advice = 2000;
    scheduler.runNext(); // the advice of this beat's answer applies to the wait after it
    failure = new UnavailableException("facade down", "", null);
    scheduler.runNext();
    failure = new IllegalStateException("a bug"); // any failure counts
    scheduler.runNext();
    scheduler.runNext();
    assertEquals(List.of(Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(2),
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(2)), scheduler.delays);
    assertEquals(Duration.ofSeconds(2), loop.interval());
  }

  @Test
  void noAdviceKeepsTheIntervalAndNoWaitIsShorterThanTheMinimum() {
    loop.advise(0);
    assertEquals(Duration.ofSeconds(10), loop.interval());
    loop.advise(60);
    assertEquals(Duration.ofMillis(60), loop.delayAfter(false));
    assertEquals(HeartbeatLoop.MIN_INTERVAL, loop.delayAfter(true));
    loop.advise(1);
    assertEquals(HeartbeatLoop.MIN_INTERVAL, loop.delayAfter(false));
  }

  @Test
  void stopCancelsTheNextBeatAndARunningOneSchedulesNoOther() {
    loop.start();
    scheduler.runNext();
    loop.stop();
    assertTrue(scheduler.last.isCancelled());
    scheduler.runNext(); // had already started when stop() came
    assertEquals(2, scheduler.delays.size());
  }

  @Test
  void aReplacedNodeSchedulesNothingMore() {
    loop.start();
    failure = new ZombieGenerationException("another generation", "", null);
    scheduler.runNext();
    assertEquals(1, scheduler.delays.size());
  }

  @Test
  void closeLeavesAGivenSchedulerRunning() {
    loop.start();
    loop.close();
    loop.close();
    assertTrue(scheduler.last.isCancelled());
    assertFalse(scheduler.isShutdown());
  }
}
