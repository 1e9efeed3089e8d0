package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A WatchTopology stream that records every message, for assertions. */
public final class WatchRecorder implements StreamObserver<TopologyUpdate>, AutoCloseable {
  private final List<TopologyUpdate> received = new ArrayList<>();
  private final Context.CancellableContext context = Context.current().withCancellation();
  private Throwable error;
  private boolean completed;

  private WatchRecorder() {}

  public static WatchRecorder watch(Channel channel, long sinceVersion) {
    WatchRecorder recorder = new WatchRecorder();
    recorder.context.run(() -> CoordinatorServiceGrpc.newStub(channel).watchTopology(
        WatchTopologyRequest.newBuilder().setSinceVersion(sinceVersion).build(), recorder));
    return recorder;
  }

  @Override
  public synchronized void onNext(TopologyUpdate update) {
    received.add(update);
    notifyAll();
  }

  @Override
  public synchronized void onError(Throwable t) {
    error = t;
    notifyAll();
  }

  @Override
  public synchronized void onCompleted() {
    completed = true;
    notifyAll();
  }

  public synchronized List<TopologyUpdate> received() {
    return List.copyOf(received);
  }

  public synchronized Throwable error() {
    return error;
  }

  /** The last version delivered (ignores keepalive and lagged, which repeat it). */
  public synchronized long lastVersion() {
    return received.isEmpty() ? -1 : received.get(received.size() - 1).getVersion();
  }

  /** Waits until a received message matches; fails with what arrived when it does not. */
  public synchronized TopologyUpdate await(Predicate<TopologyUpdate> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int checked = 0;
    while (true) {
      for (; checked < received.size(); checked++) {
        if (condition.test(received.get(checked))) {
          return received.get(checked);
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || error != null || completed) {
        throw new AssertionError("no matching update within " + timeout + "; error=" + error
            + ", received " + received.size() + ", last " + (received.isEmpty() ? "none"
                : received.get(received.size() - 1)));
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  public TopologyUpdate awaitVersion(long version, Duration timeout) throws InterruptedException {
    return await(u -> u.getVersion() >= version && !u.hasKeepalive() && !u.hasLagged(), timeout);
  }

  /** Only the change events (no full_sync, keepalive or lagged). */
  public List<TopologyUpdate> changes() {
    return received().stream().filter(WatchRecorder::isChange).toList();
  }

  public static boolean isChange(TopologyUpdate u) {
    return u.hasNodeAdded() || u.hasNodeUpdated() || u.hasNodeRemoved()
        || u.hasHashRingConfigUpdated();
  }

  /**
   * Checks guarantee 4 over everything received from {@code since}: each message's
   * previous_version is the version of the one before; changes advance by exactly 1; keepalive
   * and lagged do not advance. Returns the topology the stream describes.
   */
  public Topology assertGapFree(long since) {
    return assertGapFree(received(), since);
  }

  /** {@link #assertGapFree(long)} over any recorded sequence. */
  public static Topology assertGapFree(List<TopologyUpdate> messages, long since) {
    long last = since;
    Topology topology = Topology.empty();
    for (TopologyUpdate u : messages) {
      if (u.hasFullSync()) {
        assertEquals(last, u.getPreviousVersion(), "full_sync previous_version: " + u);
        topology = Topology.fromResponse(u.getFullSync());
        assertEquals(u.getVersion(), topology.version());
      } else if (u.hasKeepalive() || u.hasLagged()) {
        assertEquals(last, u.getVersion(), "keepalive/lagged must not advance: " + u);
        assertEquals(last, u.getPreviousVersion());
        continue;
      } else {
        assertEquals(last, u.getPreviousVersion(), "gap before " + u);
        assertEquals(last + 1, u.getVersion(), "not +1: " + u);
        if (topology.version() == last) {
          topology = topology.apply(u);
        }
      }
      last = u.getVersion();
    }
    return topology;
  }

  @Override
  public void close() {
    context.cancel(null);
  }
}
