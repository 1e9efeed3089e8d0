package io.gitstratum.coordinator.client.topology;

import static io.gitstratum.coordinator.client.topology.TopologyFollowerTest.added;
import static io.gitstratum.coordinator.client.topology.TopologyFollowerTest.fullSync;
import static io.gitstratum.coordinator.client.topology.TopologyFollowerTest.keepalive;
import static io.gitstratum.coordinator.client.topology.TopologyFollowerTest.lagged;
import static io.gitstratum.coordinator.client.topology.TopologyFollowerTest.node;
import static io.gitstratum.coordinator.client.topology.TopologyFollowerTest.updated;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.failover.WatchCall;
import io.gitstratum.coordinator.client.failover.WatchObserver;
import io.gitstratum.coordinator.client.failover.WatchSource;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The watcher's stream handling against a fake source: no network, no facade. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TopologyWatcherTest {

  /** One opened stream: what it was asked for and what the watcher did with it. */
  static final class FakeCall implements WatchCall {
    final long since;
    final WatchObserver observer;
    final String endpoint;
    volatile boolean cancelled;
    volatile String abandoned;

    FakeCall(long since, WatchObserver observer, String endpoint) {
      this.since = since;
      this.observer = observer;
      this.endpoint = endpoint;
    }

    @Override
    public String endpoint() {
      return endpoint;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public void abandon(String reason) {
      abandoned = reason;
      cancelled = true;
    }

    void send(TopologyUpdate... updates) {
      for (TopologyUpdate u : updates) {
        observer.onNext(u);
      }
    }
  }

  static final class FakeSource implements WatchSource {
    final List<FakeCall> calls = new CopyOnWriteArrayList<>();
    volatile int refuse;

    @Override
    public WatchCall watchTopology(long sinceVersion, WatchObserver observer) {
      if (refuse > 0) {
        refuse--;
        throw new UnavailableException("no endpoint", "", null);
      }
      FakeCall call = new FakeCall(sinceVersion, observer, "fake-" + calls.size() + ":1");
      calls.add(call);
      return call;
    }

    FakeCall awaitCall(int index) {
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.size() > index);
      return calls.get(index);
    }
  }

  /** Records listener calls as short strings. */
  static final class Events implements TopologyListener {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void nodeAdded(NodeInfo node, Topology topology) {
      seen.add(topology.version() + " added " + node.getId());
    }

    @Override
    public void nodeUpdated(NodeInfo previous, NodeInfo current, Topology topology) {
      seen.add(topology.version() + " updated " + current.getId() + " "
          + previous.getState() + "->" + current.getState());
    }

    @Override
    public void nodeRemoved(NodeInfo removed, Topology topology) {
      seen.add(topology.version() + " removed " + removed.getId());
    }

    @Override
    public void resynced(Topology previous, Topology current) {
      seen.add(current.version() + " resynced from " + previous.version());
    }
  }

  /** Listeners run on the watcher's own thread, so their events are awaited. */
  private void awaitEvents(List<String> expected) {
    await().atMost(Duration.ofSeconds(5)).until(() -> events.seen.equals(expected));
    assertEquals(expected, events.seen);
  }

  private final FakeSource source = new FakeSource();
  private final Events events = new Events();
  private final AtomicLong nanos = new AtomicLong();
  private TopologyWatcher watcher;

  private TopologyWatcher start(Duration idleTimeout) {
    watcher = TopologyWatcher.builder(source).listener(events)
        .reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(10))
        .idleTimeout(idleTimeout)
        .ticker(nanos::get)
        .start();
    return watcher;
  }

  @AfterEach
  void close() {
    if (watcher != null) {
      watcher.close();
    }
  }

  @Test
  void loadsAppliesAndAnswersFromMemory() throws InterruptedException {
    start(Duration.ofMinutes(1));
    assertThrows(IllegalStateException.class, () -> watcher.replicasFor("k"));
    FakeCall call = source.awaitCall(0);
    assertEquals(0, call.since);
    call.send(fullSync(0, 3, node("a", NodeState.NODE_STATE_ACTIVE),
        node("b", NodeState.NODE_STATE_ACTIVE), node("c", NodeState.NODE_STATE_ACTIVE)));
    assertTrue(watcher.awaitSynced(Duration.ofSeconds(1)));
    assertEquals(3, watcher.ring().memberCount());
    call.send(keepalive(3), added(3, 4, node("d", NodeState.NODE_STATE_JOINING)),
        updated(4, 5, node("d", NodeState.NODE_STATE_ACTIVE)),
        TopologyUpdate.newBuilder().setVersion(6).setPreviousVersion(5).setNodeRemoved("a")
            .build());
    awaitEvents(List.of("3 resynced from 0", "4 added d", "5 updated d NODE_STATE_JOINING->"
        + "NODE_STATE_ACTIVE", "6 removed a"));
    assertEquals(6, watcher.version());
    ConsistentHashRing expected = ConsistentHashRing.fromNodes(watcher.topology().nodes(),
        watcher.topology().ringConfig());
    assertEquals(expected.points(), watcher.ring().points());
    for (int k = 0; k < 100; k++) {
      assertEquals(expected.replicasFor("k" + k), watcher.replicasFor("k" + k));
      assertEquals(expected.primaryFor("k" + k), watcher.primaryFor("k" + k));
    }
    assertEquals(call.endpoint, watcher.currentEndpoint().orElseThrow());
    assertEquals(0, watcher.resumes());
  }

  @Test
  void aGapAbandonsTheStreamAndResumesFromTheVersionHeld() {
    start(Duration.ofMinutes(1));
    FakeCall first = source.awaitCall(0);
    first.send(fullSync(0, 10), added(10, 11, node("a", NodeState.NODE_STATE_JOINING)));
    first.send(added(12, 13, node("b", NodeState.NODE_STATE_JOINING)));
    assertTrue(first.abandoned.contains("gap"), first.abandoned);

    FakeCall second = source.awaitCall(1);
    assertEquals(11, second.since);
    // Late messages of the abandoned stream change nothing.
    first.send(added(11, 12, node("x", NodeState.NODE_STATE_JOINING)));
    second.send(added(11, 12, node("b", NodeState.NODE_STATE_JOINING)));
    awaitEvents(List.of("10 resynced from 0", "11 added a", "12 added b"));
    assertEquals(1, watcher.resumes());
  }

  @Test
  void aBrokenStreamResumesAndRefusedOpensBackOffInsteadOfSpinning() {
    start(Duration.ofMinutes(1));
    FakeCall first = source.awaitCall(0);
    first.send(fullSync(0, 4));
    source.refuse = 3;
    first.observer.onError(new UnavailableException("replica gone", first.endpoint, null));
    FakeCall resumed = source.awaitCall(1);
    assertEquals(4, resumed.since);
    assertNull(first.abandoned, "the client moved off a broken stream's endpoint itself");
    resumed.observer.onCompleted();
    FakeCall third = source.awaitCall(2);
    assertEquals(4, third.since);
    assertNotNull(resumed.abandoned, "an ended stream is the watcher's to abandon");
    awaitEvents(List.of("4 resynced from 0"));
  }

  @Test
  void laggedThenFullSyncResyncs() {
    start(Duration.ofMinutes(1));
    FakeCall call = source.awaitCall(0);
    call.send(fullSync(0, 2), lagged(2),
        fullSync(2, 9, node("z", NodeState.NODE_STATE_ACTIVE)),
        added(9, 10, node("y", NodeState.NODE_STATE_JOINING)));
    awaitEvents(List.of("2 resynced from 0", "9 resynced from 2", "10 added y"));
    assertEquals(1, source.calls.size());
  }

  @Test
  void aSilentStreamIsReplaced() {
    start(Duration.ofMillis(40));
    FakeCall call = source.awaitCall(0);
    call.send(fullSync(0, 7));
    nanos.addAndGet(Duration.ofMillis(41).toNanos());
    FakeCall resumed = source.awaitCall(1);
    assertEquals(7, resumed.since);
    assertTrue(call.abandoned.contains("no message"), call.abandoned);
  }

  @Test
  void closeEndsTheStreamAndTheListeners() {
    start(Duration.ofMinutes(1));
    FakeCall call = source.awaitCall(0);
    call.send(fullSync(0, 1));
    awaitEvents(List.of("1 resynced from 0"));
    watcher.close();
    assertTrue(call.cancelled);
    call.send(added(1, 2, node("a", NodeState.NODE_STATE_JOINING)));
    assertEquals(List.of("1 resynced from 0"), events.seen);
    assertEquals(1, source.calls.size());
  }

  @Test
  void aSlowListenerHoldsNeitherTheStreamNorTheLookups() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    List<String> threads = new CopyOnWriteArrayList<>();
    TopologyListener slow = new TopologyListener() {
      @Override
      public void resynced(Topology previous, Topology current) {
        threads.add(Thread.currentThread().getName());
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    watcher = TopologyWatcher.builder(source).listener(slow).listener(events).start();
    FakeCall call = source.awaitCall(0);
    call.send(fullSync(0, 3, node("a", NodeState.NODE_STATE_ACTIVE),
        node("b", NodeState.NODE_STATE_ACTIVE), node("c", NodeState.NODE_STATE_ACTIVE)));
    Object points = watcher.ring().points();
    // The stream's thread (this one, in the fake) goes on while the listener is blocked.
    call.send(updated(3, 4, node("a", NodeState.NODE_STATE_SUSPECT)),
        updated(4, 5, node("b", NodeState.NODE_STATE_DRAINING)));
    assertEquals(5, watcher.version());
    assertSame(points, watcher.ring().points(), "state changes reuse the computed points");
    assertEquals(2, watcher.ring().servingCount());
    assertEquals(3, watcher.ring().memberCount());
    assertEquals(List.of(), events.seen);
    release.countDown();
    awaitEvents(List.of("3 resynced from 0",
        "4 updated a NODE_STATE_ACTIVE->NODE_STATE_SUSPECT",
        "5 updated b NODE_STATE_ACTIVE->NODE_STATE_DRAINING"));
    assertEquals(List.of("topology-listeners"), threads);
  }

  @Test
  void spreadPlacementComesFromTheLabelsHeld() throws InterruptedException {
    start(Duration.ofMinutes(1));
    NodeInfo[] nodes = new NodeInfo[6];
    for (int i = 0; i < 6; i++) {
      nodes[i] = node("n" + i, NodeState.NODE_STATE_ACTIVE).toBuilder()
          .putLabels("zone", "z" + (i % 3)).build();
    }
    source.awaitCall(0).send(fullSync(0, 1, nodes));
    assertTrue(watcher.awaitSynced(Duration.ofSeconds(1)));
    for (int k = 0; k < 200; k++) {
      List<String> replicas = watcher.replicasFor("k" + k, "zone");
      assertEquals(3, replicas.stream().map(id -> id.substring(1)).map(Integer::parseInt)
          .map(i -> i % 3).distinct().count(), replicas.toString());
    }
    assertTrue(watcher.spread("zone").spreads());
    assertFalse(watcher.spread("rack").spreads());
  }
}
