package io.gitstratum.coordinator.facade.watch;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.Keepalive;
import io.gitstratum.coordinator.proto.Lagged;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WatchTopology stream: a bounded queue of change events and a drain task that writes them
 * while gRPC's flow control allows.
 *
 * <p>The drain enforces guarantee 4 by construction: it sends an event only if its
 * previous_version is the last version sent, skips events already covered, and turns any gap
 * into a full_sync, so no path can skip a change silently. A queue overflow (a slow reader)
 * empties the queue and leads to {@code lagged} then {@code full_sync}; memory per stream is
 * bounded by the queue capacity and gRPC's outbound window.
 *
 * <p>Threading: {@link #offer} and the request methods may be called from any thread; at most one
 * drain runs at a time, and the fields marked drain-confined are touched only by it.
 */
final class Subscription {
  private static final Logger log = LoggerFactory.getLogger(Subscription.class);

  private final ServerCallStreamObserver<TopologyUpdate> stream;
  private final Supplier<Topology> current;
  private final Function<Topology, GetTopologyResponse> fullSync;
  private final Executor executor;
  private final int capacity;
  private final Runnable onClose;
  private final LongSupplier serverTime;
  private final Function<Throwable, StatusRuntimeException> errors;

  private final Queue<TopologyUpdate> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean started;
  private volatile boolean overflowed;
  private volatile boolean keepaliveDue;
  private volatile long syncIfBehind = -1;
  private volatile long lastSentNanos = System.nanoTime();

  // Drain-confined.
  private long lastDelivered;
  private boolean needsFullSync;
  private List<TopologyUpdate> replay = List.of();
  private int replayed;

  Subscription(ServerCallStreamObserver<TopologyUpdate> stream, long sinceVersion,
      Supplier<Topology> current, Function<Topology, GetTopologyResponse> fullSync,
      LongSupplier serverTime,
      Executor executor, int capacity, Runnable onClose,
      Function<Throwable, StatusRuntimeException> errors) {
    this.errors = errors;
    this.stream = stream;
    this.lastDelivered = sinceVersion;
    this.current = current;
    this.fullSync = fullSync;
    this.serverTime = serverTime;
    this.executor = executor;
    this.capacity = capacity;
    this.onClose = onClose;
  }

  /** Starts delivery: first a full sync, or {@code replay}, then the queued live events. */
  void start(boolean fullSync, List<TopologyUpdate> replayFirst) {
    this.needsFullSync = fullSync;
    this.replay = List.copyOf(replayFirst);
    stream.setOnReadyHandler(this::schedule);
    this.started = true; // publishes the fields above to the drain
    schedule();
  }

  /** Queues a change event; never blocks. */
  void offer(TopologyUpdate update) {
    if (closed.get()) {
      return;
    }
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      overflowed = true;
    } else {
      queue.add(update);
    }
    schedule();
  }

  /** Sends a keepalive if nothing was sent for {@code idleNanos}. */
  void keepaliveIfIdle(long idleNanos) {
    if (System.nanoTime() - lastSentNanos >= idleNanos) {
      keepaliveDue = true;
      schedule();
    }
  }

  /** Changes up to {@code version} were lost to this replica: full_sync unless already there. */
  void syncIfBehind(long version) {
    syncIfBehind = version;
    schedule();
  }

  int queued() {
    return queued.get();
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Ends the stream from the server side with {@code reason}, reported as its gRPC status. */
  void close(RuntimeException reason) {
    if (closed.compareAndSet(false, true)) {
      onClose.run();
      try {
        stream.onError(errors.apply(reason));
      } catch (IllegalStateException e) {
        // already cancelled by the client
      }
    }
  }

  /** The client went away. */
  void cancelled() {
    if (closed.compareAndSet(false, true)) {
      onClose.run();
    }
  }

  private void schedule() {
    if (started && !closed.get() && scheduled.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    try {
      while (!closed.get() && stream.isReady() && step()) {
        lastSentNanos = System.nanoTime();
      }
    } catch (RuntimeException e) {
      log.error("watch stream failed", e);
      close(e);
    } finally {
      scheduled.set(false);
    }
    // Work that arrived while the flag was still set must not wait for the next event.
    if (!closed.get() && stream.isReady() && hasWork()) {
      schedule();
    }
  }

  private boolean hasWork() {
    return overflowed || keepaliveDue || syncIfBehind >= 0 || needsFullSync
        || replayed < replay.size() || !queue.isEmpty();
  }

  /** Sends at most one message; false when there was nothing to send. */
  private boolean step() {
    if (overflowed) {
      overflowed = false;
      int dropped = 0;
      while (queue.poll() != null) {
        queued.decrementAndGet();
        dropped++;
      }
      long now = current.get().version();
      send(TopologyUpdate.newBuilder().setVersion(lastDelivered).setPreviousVersion(lastDelivered)
          .setLagged(Lagged.newBuilder().setCurrentVersion(now)
              .setMissedUpdates(Math.max(dropped, now - lastDelivered))
              .setMessage("this stream fell more than " + capacity
                  + " updates behind; a full_sync follows"))
          .build());
      needsFullSync = true;
      return true;
    }
    long behind = syncIfBehind;
    if (behind >= 0) {
      syncIfBehind = -1;
      if (lastDelivered < behind) {
        needsFullSync = true;
      }
    }
    if (needsFullSync) {
      Topology topology = current.get();
      send(TopologyUpdate.newBuilder().setVersion(topology.version())
          .setPreviousVersion(lastDelivered)
          .setFullSync(fullSync.apply(topology))
          .build());
      lastDelivered = topology.version();
      needsFullSync = false;
      replay = List.of();
      replayed = 0;
      return true;
    }
    if (replayed < replay.size()) {
      deliver(replay.get(replayed++));
      return true;
    }
    TopologyUpdate update = queue.poll();
    if (update != null) {
      queued.decrementAndGet();
      deliver(update);
      return true;
    }
    if (keepaliveDue) {
      keepaliveDue = false;
      send(TopologyUpdate.newBuilder().setVersion(lastDelivered).setPreviousVersion(lastDelivered)
          .setKeepalive(Keepalive.newBuilder().setServerTime(serverTime.getAsLong()))
          .build());
      return true;
    }
    return false;
  }

  private void deliver(TopologyUpdate update) {
    if (update.getVersion() <= lastDelivered) {
      return; // already covered by a full sync or a replay
    }
    if (update.getPreviousVersion() != lastDelivered) {
      needsFullSync = true; // a gap: never skip silently
      return;
    }
    send(update);
    lastDelivered = update.getVersion();
  }

  private void send(TopologyUpdate message) {
    keepaliveDue = false;
    stream.onNext(message);
  }
}
