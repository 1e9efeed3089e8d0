package io.gitstratum.coordinator.client.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.errors.ClientErrors;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CallLimit;
import io.gitstratum.coordinator.client.testing.FakeCoordinator;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The heartbeat timing and bounds, run by hand on a fake clock: no facade, no waiting. */
class HeartbeatLoopTest {

  /** Runs nothing by itself: records what the loop scheduled; running one moves the clock. */
  private final class ManualScheduler extends ScheduledThreadPoolExecutor {
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
      now += delays.get(delays.size() - tasks.size()).toNanos();
      tasks.remove().run();
    }
  }

  private long now;
  private final ManualScheduler scheduler = new ManualScheduler();
  private long advice;
  private long suspectAdvice;
  private RuntimeException failure;
  private boolean everyReplicaSheds;
  private final List<CallLimit> limits = new ArrayList<>();
  private final HeartbeatLoop loop = new HeartbeatLoop("obj-1", this::beat,
      Duration.ofSeconds(10), scheduler, () -> now, new Random(7));

  /** One heartbeat: fails when told to, else renews the lease and takes the facade's advice. */
  private void beat() {
    limits.add(loop.limit());
    assertTrue(loop.leaseLeft().toNanos() > 0 || !everyReplicaSheds,
        "lease ran out at " + now / 1_000_000 + " ms");
    if (everyReplicaSheds && loop.leaseLeft().compareTo(loop.suspectTimeout().dividedBy(2)) > 0) {
      failure = refused("REPLICA_OVERLOADED", Duration.ofSeconds(1));
    }
    RuntimeException f = failure;
    failure = null;
    if (f != null) {
      throw f;
    }
    loop.renewed(now);
    loop.advise(advice, suspectAdvice);
  }

  @AfterEach
  void shutdown() {
    scheduler.shutdownNow();
  }

  private static Duration ms(long ms) {
    return Duration.ofMillis(ms);
  }

  private static CoordinatorClientException refused(String reason, Duration retryDelay) {
    return ClientErrors.fromThrowable(FakeCoordinator.error(Status.Code.UNAVAILABLE, reason,
        Map.of(), retryDelay), "r:1");
  }

  @Test
  void firstAtOnceThenAtTheAdvisedInterval() {
    loop.start();
    scheduler.runNext(); // no advice yet: the default
    advice = 2000;
    scheduler.runNext(); // the advice of this beat's answer applies to the wait after it
    scheduler.runNext();
    assertEquals(List.of(Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(2),
        Duration.ofSeconds(2)), scheduler.delays);
    assertEquals(Duration.ofSeconds(2), loop.interval());
    assertEquals(Duration.ofSeconds(6), loop.suspectTimeout(), "three intervals until told");
    loop.advise(0, 5000);
    assertEquals(Duration.ofSeconds(5), loop.suspectTimeout());
  }

  @Test
  void aHeartbeatNeverTakesLongerThanTheLeaseHasLeftAndRetriesOnlyInItsSecondHalf() {
    loop.advise(1000, 3000);
    loop.renewed(0);
    now = ms(1000).toNanos();
    assertEquals(CallLimit.once(ms(2000)), loop.limit(), "more than half left: one attempt");
    now = ms(1600).toNanos();
    assertEquals(CallLimit.within(ms(1400)), loop.limit(), "half or less: retries, in time");
    now = ms(2999).toNanos();
    assertEquals(CallLimit.within(ms(1)), loop.limit());
    now = ms(3500).toNanos();
    assertEquals(CallLimit.within(ms(1000)), loop.limit(), "past the lease: one interval");
  }

  @Test
  void afterAFailureTheNextComesWithinTheIntervalOrHalfTheLeaseLeftWithJitter() {
    loop.advise(10_000, 30_000);
    loop.renewed(0);
    RuntimeException down = refused("", null);
    List<Long> seen = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      now = ms(10_000).toNanos(); // 20 s left: the interval bounds
      long early = loop.delayAfter(down).toMillis();
      assertTrue(early >= 8_000 && early <= 10_000, early + " ms");
      now = ms(25_000).toNanos(); // 5 s left: half of it bounds
      long late = loop.delayAfter(down).toMillis();
      assertTrue(late >= 2_000 && late <= 2_500, late + " ms");
      seen.add(early);
    }
    assertTrue(seen.stream().distinct().count() > 100, "jittered, not one value");
    assertEquals(Duration.ofSeconds(10), loop.delayAfter(null), "a success waits the interval");
    now = ms(40_000).toNanos(); // past the lease: back to the interval
    long after = loop.delayAfter(down).toMillis();
    assertTrue(after >= 8_000 && after <= 10_000, after + " ms");
  }

  @Test
  void theDelayAnEtcdCauseAsksForIsWaitedButNotAReplicasOwn() {
    loop.advise(1000, 3000);
    loop.renewed(0);
    now = ms(1000).toNanos();
    assertEquals(ms(4000), loop.delayAfter(refused("WRITE_QUEUE_FULL", ms(4000))));
    long moved = loop.delayAfter(refused("REPLICA_OVERLOADED", ms(4000))).toMillis();
    assertTrue(moved >= 800 && moved <= 1000, "another replica needs no wait: " + moved);
  }

  @Test
  void noAdviceKeepsTheIntervalAndNoWaitIsShorterThanTheMinimum() {
    loop.advise(0, 0);
    assertEquals(Duration.ofSeconds(10), loop.interval());
    loop.advise(60, 0);
    assertEquals(ms(60), loop.delayAfter(null));
    loop.advise(40, 0);
    now = Duration.ofDays(1).toNanos();
    assertEquals(HeartbeatLoop.MIN_INTERVAL, loop.delayAfter(new IllegalStateException("bug")));
    loop.advise(1, 0);
    assertEquals(HeartbeatLoop.MIN_INTERVAL, loop.delayAfter(null));
  }

  /**
   * Every replica sheds (as the facade does: only a node with more than half its lease left is
   * refused): the node still sends about one heartbeat per interval and never runs out.
   */
  @Test
  void whenEveryReplicaShedsAboutOneHeartbeatPerIntervalAndTheLeaseHolds() {
    advice = 10_000;
    suspectAdvice = 30_000;
    loop.advise(advice, suspectAdvice);
    loop.renewed(0);
    everyReplicaSheds = true;
    loop.start();
    for (int i = 0; i < 300; i++) {
      scheduler.runNext();
    }
    double intervals = (double) now / Duration.ofSeconds(10).toNanos();
    double perInterval = limits.size() / intervals;
    assertTrue(perInterval <= 1.2, perInterval + " heartbeats per interval");
    assertTrue(limits.stream().allMatch(l -> l.within().compareTo(Duration.ofSeconds(30)) <= 0));
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

  @Test
  void anUnavailableWithoutReasonIsAFailureLikeAnyOther() {
    loop.start();
    failure = new UnavailableException("facade down", "", null);
    scheduler.runNext();
    assertEquals(2, scheduler.delays.size());
    assertTrue(scheduler.delays.get(1).compareTo(Duration.ofSeconds(10)) <= 0);
  }
}
