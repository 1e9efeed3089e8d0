package io.gitstratum.coordinator.facade.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.cache.TopologyResponses;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.gitstratum.coordinator.facade.errors.WatcherLimitException;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.StoreSnapshot;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watch hub with everything around it in memory: the {@link TopologyCache} fed by hand (as
 * this replica's writer feeds it), fake gRPC streams, a fake ticker and keepalive timer, and
 * executors that run on the test's thread, at once or when the test says. Each interleaving here
 * is the one written down; no etcd, no sleeps.
 *
 * <p>What reads etcd is left to the tests against a real one (WatchTopologyTest,
 * WatchFaultsTest): a resume from a version this replica has not reached, a replay from etcd's
 * event log, and events missed while the cache resynced. The hub here has no store, so a test
 * that strays onto such a path fails.
 */
class WatchHubTest {
  private static final long SECOND = Duration.ofSeconds(1).toNanos();
  private static final Duration KEEPALIVE = Duration.ofSeconds(10);
  private static final Instant WALL_CLOCK = Instant.parse("2026-11-30T12:00:00Z");
  /** Every case here is served from memory: none may touch etcd. */
  private static final EtcdTopologyStore NO_ETCD = null;

  private final AtomicLong now = new AtomicLong(1_000 * SECOND);
  private final long start = now.get();
  private final TopologyCache cache = new TopologyCache(Keyspace.defaults());
  private final FakeTimer timer = new FakeTimer();
  private final ManualExecutor resumes = new ManualExecutor();
  private ExecutorService fanout = MoreExecutors.newDirectExecutorService();
  private ExecutorService senders = MoreExecutors.newDirectExecutorService();
  private long revision = 10;
  private WatchHub hub;

  WatchHubTest() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), revision, 0, 1));
  }

  @AfterEach
  void closeHub() {
    if (hub != null) {
      hub.close();
    }
  }

  private WatchHub hub(int queue, int buffer, int maxSubscribers, int replayLimit) {
    hub = new WatchHub(cache, NO_ETCD, new TopologyResponses(() -> ""),
        Clock.fixed(WALL_CLOCK, ZoneOffset.UTC), now::get,
        new WatchSettings(KEEPALIVE, queue, buffer, maxSubscribers, replayLimit),
        Duration.ofSeconds(1), senders, timer, StatusMapper::toException, fanout, resumes);
    return hub;
  }

  private WatchHub hub() {
    return hub(100, 100, 100, 100);
  }

  private static TopologyUpdate added(long version) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeAdded(NodeInfo.newBuilder().setId("n" + version)
            .setType(NodeType.NODE_TYPE_OBJECT))
        .build();
  }

  /** This replica commits {@code events} consecutive node additions in one transaction. */
  private void commit(int events) {
    long version = cache.state().topology().version();
    List<TopologyUpdate> updates = new ArrayList<>();
    for (int i = 1; i <= events; i++) {
      updates.add(added(version + i));
    }
    cache.applyCommitted(++revision, updates, List.of());
  }

  private void commit() {
    commit(1);
  }

  private FakeStream subscribe(long since) {
    return subscribe(new FakeStream(), since);
  }

  private FakeStream subscribe(FakeStream stream, long since) {
    hub.subscribe(WatchTopologyRequest.newBuilder().setSinceVersion(since).build(), stream);
    return stream;
  }

  private void tickAt(long nanosSinceStart) {
    now.set(start + nanosSinceStart);
    timer.tick();
  }

  /** What a stream was sent, as "kind previous->version". */
  private static List<String> sent(FakeStream stream) {
    return stream.sent.stream()
        .map(u -> u.getUpdateCase().name().toLowerCase() + " " + u.getPreviousVersion() + "->"
            + u.getVersion())
        .toList();
  }

  private static List<String> fullSyncNodes(TopologyUpdate update) {
    return update.getFullSync().getObjectNodesList().stream().map(NodeInfo::getId).sorted()
        .toList();
  }

  private static String reason(Throwable error) {
    try {
      return StatusProto.fromThrowable(error).getDetails(0).unpack(ErrorInfo.class).getReason();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aStreamThatOverflowsItsQueueCatchesUpFromTheBufferWithoutAFullSync() {
    hub(2, 100, 100, 100);
    FakeStream fast = subscribe(0);
    FakeStream slow = subscribe(0);
    slow.ready = false;

    commit();
    commit();
    commit(); // one more than its queue holds, all three still in the replica's buffer
    commit();
    slow.becomeReady();
    assertEquals(sent(fast), sent(slow), "the same changes in the same order, no lagged");
    assertEquals(0, hub.queuedUpdates());

    commit();
    assertEquals("node_added 4->5", sent(slow).get(5));
  }

  @Test
  void aStreamThatFallsBehindTheBufferIsToldItLaggedThenGetsAFullSync() {
    hub(2, 2, 100, 100); // the buffer keeps 2 of the 3 missed changes
    FakeStream fast = subscribe(0);
    FakeStream slow = subscribe(0);
    slow.ready = false; // its client stops reading: gRPC's buffers for it are full

    commit();
    commit();
    commit(); // one more than its queue holds
    assertEquals(2, hub.queuedUpdates(), "the slow stream holds no more than its queue");
    assertEquals(List.of("full_sync 0->0", "node_added 0->1", "node_added 1->2",
        "node_added 2->3"), sent(fast), "a slow stream does not hold the others back");
    assertEquals(List.of("full_sync 0->0"), sent(slow));

    slow.becomeReady();
    assertEquals(List.of("full_sync 0->0", "lagged 0->0", "full_sync 0->3"), sent(slow));
    TopologyUpdate lagged = slow.sent.get(1);
    assertEquals(3, lagged.getLagged().getCurrentVersion());
    assertEquals(3, lagged.getLagged().getMissedUpdates());
    assertEquals(List.of("n1", "n2", "n3"), fullSyncNodes(slow.sent.get(2)));
    assertEquals(0, hub.queuedUpdates(), "the dropped updates are not sent after the full_sync");

    commit();
    assertEquals("node_added 3->4", sent(slow).get(3));
    assertEquals("node_added 3->4", sent(fast).get(4));
  }

  @Test
  void anIdleStreamGetsAKeepaliveExactlyWhenTheTickerPassesTheInterval() {
    hub();
    assertEquals(KEEPALIVE.toMillis() / 4, timer.delayMillis, "checked four times an interval");
    commit(3);
    FakeStream early = subscribe(0); // full_sync at 0 s
    now.set(start + 4 * SECOND);
    FakeStream late = subscribe(3); // already current: nothing to send, idle from 4 s
    resumes.runAll();
    assertEquals(List.of("full_sync 0->3"), sent(early));
    assertEquals(List.of(), sent(late));

    tickAt(10 * SECOND - 1);
    assertEquals(1, early.sent.size(), "idle for less than the interval");
    tickAt(10 * SECOND);
    assertEquals("keepalive 3->3", sent(early).get(1));
    assertEquals(WALL_CLOCK.toEpochMilli(), early.sent.get(1).getKeepalive().getServerTime());
    assertEquals(List.of(), sent(late), "idle for 6 s only");

    tickAt(14 * SECOND - 1);
    assertEquals(List.of(), sent(late));
    tickAt(14 * SECOND);
    assertEquals(List.of("keepalive 3->3"), sent(late));
    assertEquals(2, early.sent.size(), "its keepalive at 10 s counts as sending");

    now.set(start + 15 * SECOND);
    commit(); // both streams are sent something at 15 s
    tickAt(25 * SECOND - 1);
    assertEquals(List.of("keepalive 3->3", "node_added 3->4"), sent(late));
    tickAt(25 * SECOND);
    assertEquals(List.of("keepalive 3->3", "node_added 3->4", "keepalive 4->4"), sent(late));
    assertEquals(List.of("full_sync 0->3", "keepalive 3->3", "node_added 3->4",
        "keepalive 4->4"), sent(early));
  }

  @Test
  void aStreamThatDoesNotTakeItsFullSyncForThreeIntervalsIsEndedAndForgotten() {
    hub();
    commit();
    FakeStream stuck = new FakeStream();
    stuck.readyAfterSending = false; // its client never reads the full_sync
    subscribe(stuck, 0);
    FakeStream healthy = subscribe(0);
    assertTrue(hub.fullSyncBytesInTransit() > 0, "the stuck full_sync's bytes are held");

    tickAt(30 * SECOND - 1);
    assertNull(stuck.error);
    assertEquals(2, hub.subscriberCount());

    tickAt(30 * SECOND);
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(stuck.error).getCode());
    assertEquals("STREAM_STALLED", reason(stuck.error));
    assertEquals(1, hub.subscriberCount());
    assertEquals(0, hub.fullSyncBytesInTransit(), "its share of the gate is given back");

    commit(); // FakeStream fails the test if the ended stream is sent anything
    assertEquals(List.of("full_sync 0->1", "keepalive 1->1", "node_added 1->2"),
        sent(healthy));
  }

  @Test
  void aResumeFromAVersionInTheBufferGetsExactlyTheMissingUpdates() {
    hub();
    for (int i = 0; i < 5; i++) {
      commit();
    }
    FakeStream resumed = subscribe(2);
    assertEquals(List.of(), sent(resumed), "where it starts is decided on a resume thread");

    commit(); // version 6 is queued for the stream before its start is decided
    resumes.runAll();
    assertEquals(List.of("node_added 2->3", "node_added 3->4", "node_added 4->5",
        "node_added 5->6"), sent(resumed), "replayed from the buffer, version 6 once");

    commit();
    assertEquals("node_added 6->7", sent(resumed).get(4));
    assertEquals(5, resumed.sent.size());
  }

  @Test
  void aResumeFromAVersionOlderThanTheBufferGetsAFullSync() {
    hub(100, 3, 100, 4); // the buffer keeps 3 events; a replay carries at most 4
    for (int i = 0; i < 8; i++) {
      commit();
    }
    FakeStream edge = subscribe(5); // the oldest version the buffer (6, 7, 8) still serves
    // Older than the buffer, and 6 events back: more than a replay from etcd's log may carry,
    // so not even the log is read.
    FakeStream old = subscribe(2);
    resumes.runAll();

    assertEquals(List.of("node_added 5->6", "node_added 6->7", "node_added 7->8"), sent(edge));
    assertEquals(List.of("full_sync 2->8"), sent(old));
    assertEquals(List.of("n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"),
        fullSyncNodes(old.sent.get(0)));

    commit();
    assertEquals("node_added 8->9", sent(edge).get(3));
    assertEquals(List.of("full_sync 2->8", "node_added 8->9"), sent(old));
  }

  @Test
  void beyondTheSubscriberLimitAStreamIsRefusedWithResourceExhausted() {
    hub(100, 100, 2, 100);
    FakeStream first = subscribe(0);
    subscribe(0);

    FakeStream third = new FakeStream();
    WatcherLimitException refused = assertThrows(WatcherLimitException.class,
        () -> subscribe(third, 0));
    // CoordinatorService ends the call with this status.
    assertEquals(Status.Code.RESOURCE_EXHAUSTED,
        Status.fromThrowable(StatusMapper.toException(refused)).getCode());
    assertEquals("WATCHER_LIMIT", reason(StatusMapper.toException(refused)));
    assertEquals(2, hub.subscriberCount());
    commit();
    assertEquals(List.of(), sent(third), "a refused stream is not fanned out to");

    first.cancel(); // a client goes away: its place is free
    assertEquals(1, hub.subscriberCount());
    FakeStream fourth = subscribe(0);
    assertEquals(List.of("full_sync 0->1"), sent(fourth));
    assertEquals(2, hub.subscriberCount());
  }

  @Test
  void aStreamWhoseClientGoesAwayInTheMiddleOfAFanOutIsSentNothingMore() {
    hub();
    FakeStream staying = subscribe(0);
    FakeStream leaving = subscribe(0);
    leaving.afterSend = leaving::cancel; // gone right after the first event of the batch

    commit(3); // one transaction: three events fanned out together
    assertEquals(List.of("full_sync 0->0", "node_added 0->1"), sent(leaving));
    assertEquals(List.of("full_sync 0->0", "node_added 0->1", "node_added 1->2",
        "node_added 2->3"), sent(staying));
    assertEquals(1, hub.subscriberCount());

    commit();
    assertEquals("node_added 3->4", sent(staying).get(4));
    assertEquals(2, leaving.sent.size());
  }

  @Test
  void aStreamEndingWhileTheFanOutIsSendingToAnotherMissesTheRestOfIt() {
    hub();
    FakeStream x = subscribe(0);
    FakeStream y = subscribe(0);
    // Whichever the fan-out reaches first, sending to it ends the other one's stream.
    x.afterSend = () -> cancelOnce(y);
    y.afterSend = () -> cancelOnce(x);

    commit(3);
    List<FakeStream> bySize = new ArrayList<>(List.of(x, y));
    bySize.sort(Comparator.comparingInt(s -> s.sent.size()));
    assertEquals(List.of("full_sync 0->0"), sent(bySize.get(0)));
    assertEquals(List.of("full_sync 0->0", "node_added 0->1", "node_added 1->2",
        "node_added 2->3"), sent(bySize.get(1)));
    assertEquals(1, hub.subscriberCount());
  }

  private static void cancelOnce(FakeStream stream) {
    if (!stream.isCancelled()) {
      stream.cancel();
    }
  }

  @Test
  void aStreamEndingAfterAnUpdateWasQueuedForItButBeforeItsDrainRanIsSentNothing() {
    ManualExecutor drains = new ManualExecutor();
    senders = drains;
    hub();
    FakeStream staying = subscribe(0);
    FakeStream leaving = subscribe(0);
    drains.runAll(); // the full_syncs

    commit();
    assertEquals(2, hub.queuedUpdates());
    assertEquals(2, drains.pending(), "one drain per stream, not run yet");
    leaving.cancel();
    assertEquals(1, hub.queuedUpdates(), "an ended stream's queue no longer counts");

    drains.runAll();
    assertEquals(List.of("full_sync 0->0"), sent(leaving));
    assertEquals(List.of("full_sync 0->0", "node_added 0->1"), sent(staying));
    assertEquals(0, hub.queuedUpdates());
  }

  @Test
  void closingTheHubWithAFanOutStillQueuedEndsEveryStreamOnceAndSendsNothingAfter() {
    ManualExecutor fanOutThread = new ManualExecutor();
    fanout = fanOutThread;
    hub();
    FakeStream a = subscribe(0);
    FakeStream b = subscribe(0);
    commit();
    assertEquals(1, fanOutThread.pending());

    hub.close();
    for (FakeStream stream : List.of(a, b)) {
      assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(stream.error).getCode());
      assertEquals("SHUTTING_DOWN", reason(stream.error));
    }
    assertEquals(0, hub.subscriberCount());
    assertTrue(timer.cancelled, "no more keepalive checks");

    fanOutThread.runAll(); // the fan-out thread finishes what it had; a second end would fail
    commit();
    assertEquals(0, fanOutThread.rejected, "the cache no longer tells the hub");
    assertEquals(List.of("full_sync 0->0"), sent(a));
    assertEquals(List.of("full_sync 0->0"), sent(b));
  }

  @Test
  void etcdRestoredFromABackupFullSyncsEveryStreamToTheOlderTopology() {
    hub();
    commit(5);
    FakeStream fresh = subscribe(0);
    FakeStream resumed = subscribe(5);
    resumes.runAll();

    // A resync that finds nothing changed sends nothing.
    cache.reset(new StoreSnapshot(cache.state().topology(), Map.of(), Map.of(), ++revision,
        revision, 1));
    assertEquals(List.of("full_sync 0->5"), sent(fresh));
    assertEquals(List.of(), sent(resumed));

    Topology backup = Topology.empty().apply(added(1)).apply(added(2));
    cache.reset(new StoreSnapshot(backup, Map.of(), Map.of(), 3, 3, 1), true);
    assertEquals(List.of("full_sync 0->5", "full_sync 5->2"), sent(fresh));
    assertEquals(List.of("full_sync 5->2"), sent(resumed));
    assertEquals(List.of("n1", "n2"), fullSyncNodes(resumed.sent.get(0)));

    commit(); // history goes on from the backup
    assertEquals("node_added 2->3", sent(fresh).get(2));
    assertEquals("node_added 2->3", sent(resumed).get(1));
  }

  /** Runs nothing until the test says so; rejects work once shut down, as executors do. */
  private static final class ManualExecutor extends AbstractExecutorService {
    private final Queue<Runnable> tasks = new ArrayDeque<>();
    private boolean shutdown;
    int rejected;

    int pending() {
      return tasks.size();
    }

    /** Runs the queued tasks, and those they queue, on this thread, in order. */
    void runAll() {
      for (Runnable task; (task = tasks.poll()) != null; ) {
        task.run();
      }
    }

    @Override
    public void execute(Runnable task) {
      if (shutdown) {
        rejected++;
        throw new RejectedExecutionException("shut down");
      }
      tasks.add(task);
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      List<Runnable> left = List.copyOf(tasks);
      tasks.clear();
      return left;
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown && tasks.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return isTerminated();
    }
  }

  /** Holds the hub's periodic keepalive check; it runs when the test ticks, never by itself. */
  private static final class FakeTimer extends AbstractExecutorService
      implements ScheduledExecutorService {
    private Runnable periodic;
    long delayMillis;
    boolean cancelled;

    void tick() {
      if (!cancelled) {
        periodic.run();
      }
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay,
        long delay, TimeUnit unit) {
      periodic = command;
      delayMillis = unit.toMillis(delay);
      return new Handle();
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay,
        long period, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return false;
    }

    private final class Handle implements ScheduledFuture<Object> {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        cancelled = true;
        return true;
      }

      @Override
      public boolean isCancelled() {
        return cancelled;
      }

      @Override
      public boolean isDone() {
        return cancelled;
      }

      @Override
      public Object get() {
        throw new UnsupportedOperationException();
      }

      @Override
      public Object get(long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException();
      }

      @Override
      public long getDelay(TimeUnit unit) {
        return unit.convert(delayMillis, TimeUnit.MILLISECONDS);
      }

      @Override
      public int compareTo(Delayed other) {
        return Long.compare(getDelay(TimeUnit.NANOSECONDS),
            other.getDelay(TimeUnit.NANOSECONDS));
      }
    }
  }
}
