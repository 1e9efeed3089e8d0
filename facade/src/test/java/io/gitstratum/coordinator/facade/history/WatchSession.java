package io.gitstratum.coordinator.facade.history;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One WatchTopology stream that records every message until it ends or is cancelled; becomes
 * one {@link WatchSegment}. Thread-safe: gRPC delivers, the watcher's thread reads.
 */
final class WatchSession implements StreamObserver<TopologyUpdate> {
  private final String watcher;
  private final String replica;
  private final long since;
  private final List<TopologyUpdate> received = new ArrayList<>(); // guarded by this
  private final CountDownLatch ended = new CountDownLatch(1);
  private final Context.CancellableContext context = Context.current().withCancellation();

  private WatchSession(String watcher, String replica, long since) {
    this.watcher = watcher;
    this.replica = replica;
    this.since = since;
  }

  static WatchSession open(String watcher, String replica, Channel channel, long since) {
    WatchSession session = new WatchSession(watcher, replica, since);
    session.context.run(() -> CoordinatorServiceGrpc.newStub(channel).watchTopology(
        WatchTopologyRequest.newBuilder().setSinceVersion(since).build(), session));
    return session;
  }

  /** Waits up to {@code timeout} for the stream to end by itself; true if it has. */
  boolean awaitEnd(Duration timeout) throws InterruptedException {
    return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Cancels the stream (if still open) and returns what it delivered. */
  WatchSegment close() {
    context.cancel(null);
    synchronized (this) {
      return new WatchSegment(watcher, replica, since, received);
    }
  }

  /** The version the stream stands at: the last message's, or where it started. */
  synchronized long lastVersion() {
    return received.isEmpty() ? since : received.get(received.size() - 1).getVersion();
  }

  @Override
  public synchronized void onNext(TopologyUpdate update) {
    received.add(update);
  }

  @Override
  public void onError(Throwable t) {
    ended.countDown();
  }

  @Override
  public void onCompleted() {
    ended.countDown();
  }
}
