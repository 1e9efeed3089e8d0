package io.gitstratum.coordinator.facade.watch;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.Keepalive;
import io.gitstratum.coordinator.proto.Lagged;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
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
 * empties the queue and catches up from the hub's shared buffer of recent changes, the way a
 * resuming stream does; only a stream that fell behind even that buffer gets {@code lagged}
 * then {@code full_sync}. So a storm of changes costs a slow reader a replay, not the whole
 * topology, and memory per stream stays bounded by the queue capacity, one replay list of
 * shared events and gRPC's outbound window. A full_sync waits for its turn at the
 * {@link FullSyncGate} (sending keepalives meanwhile) and holds its share of the gate until gRPC
 * reports the stream ready again.
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
  private final LongSupplier nanoTime;
  private final Function<Throwable, StatusRuntimeException> errors;
  private final FullSyncGate gate;
  private final Function<Long, Optional<List<TopologyUpdate>>> recent;

  private final Queue<TopologyUpdate> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean started;
  private volatile boolean overflowed;
  private volatile boolean keepaliveDue;
  private volatile long syncIfBehind = -1;
  private volatile long lastSentNanos;
  /** A full_sync waits for the gate; the gate's wake-up clears it. */
  private volatile boolean awaitingGate;
  /** Bytes of a sent full_sync held at the gate until the stream is ready again. */
  private final AtomicLong holding = new AtomicLong();
  private volatile long holdingSinceNanos;

  // Drain-confined.
  private long lastDelivered;
  private boolean needsFullSync;
  private List<TopologyUpdate> replay = List.of();
  private int replayed;

  Subscription(ServerCallStreamObserver<TopologyUpdate> stream, long sinceVersion,
      Supplier<Topology> current, Function<Topology, GetTopologyResponse> fullSync,
      LongSupplier serverTime, LongSupplier nanoTime,
      Executor executor, int capacity, Runnable onClose,
      Function<Throwable, StatusRuntimeException> errors, FullSyncGate gate,
      Function<Long, Optional<List<TopologyUpdate>>> recent) {
    this.errors = errors;
    this.recent = recent;
    this.gate = gate;
    this.stream = stream;
    this.lastDelivered = sinceVersion;
    this.current = current;
    this.fullSync = fullSync;
    this.serverTime = serverTime;
    this.nanoTime = nanoTime;
    this.lastSentNanos = nanoTime.getAsLong();
    this.executor = executor;
    this.capacity = capacity;
    this.onClose = onClose;
  }

  /**
   * Hooks into the stream's readiness and cancellation; gRPC allows that only before the service
   * method returns, so it is separate from {@link #start}, which may come later.
   */
  void listen() {
    stream.setOnReadyHandler(this::schedule);
    stream.setOnCancelHandler(this::cancelled);
  }

  /**
   * Starts delivery: first a full sync, or {@code replay}, then the queued live events. The
   * replay list is not copied (streams resuming from one log read share its window) and must
   * not change.
   */
  void start(boolean fullSync, List<TopologyUpdate> replayFirst) {
    this.needsFullSync = fullSync;
    this.replay = replayFirst;
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
    if (nanoTime.getAsLong() - lastSentNanos >= idleNanos) {
      keepaliveDue = true;
      schedule();
    }
  }

  /**
   * Ends the stream when a full_sync sent to it has not left gRPC's buffers for
   * {@code limitNanos}: its client does not read, and its share of the gate belongs to others.
   */
  void closeIfStalled(long limitNanos) {
    if (holding.get() > 0 && nanoTime.getAsLong() - holdingSinceNanos >= limitNanos) {
      log.info("closing a watch stream that has not taken its full_sync for {} ms",
          limitNanos / 1_000_000);
      close(UnavailableException.streamStalled(Duration.ofNanos(limitNanos)));
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
      leaveGate();
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
      leaveGate();
      onClose.run();
    }
  }

  private void leaveGate() {
    gate.cancel(this);
    releaseSentFullSync();
  }

  /** A full_sync sent earlier has left gRPC's buffers (the stream is ready again) or never will. */
  private void releaseSentFullSync() {
    long held = holding.getAndSet(0);
    if (held > 0) {
      gate.release(held);
    }
  }

  private void schedule() {
    if (started && !closed.get() && scheduled.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    try {
      while (!closed.get() && stream.isReady()) {
        releaseSentFullSync();
        if (!step()) {
          break;
        }
        lastSentNanos = nanoTime.getAsLong();
      }
      if (!stream.isReady()) {
        gate.cancel(this); // a stream that cannot take a full_sync now gives up its turn
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
    if (overflowed || keepaliveDue || syncIfBehind >= 0) {
      return true;
    }
    if (needsFullSync) {
      return !awaitingGate;
    }
    return replayed < replay.size() || !queue.isEmpty();
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
      // Events offered from here on queue again; whatever the read below misses is a gap that
      // deliver() turns into a full_sync, so no order of the two can skip a change.
      Optional<List<TopologyUpdate>> missed = needsFullSync ? Optional.empty()
          : recent.apply(lastDelivered);
      if (missed.isPresent()) {
        replay = missed.get();
        replayed = 0;
        return true;
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
      GetTopologyResponse body = fullSync.apply(topology);
      long bytes = body.getSerializedSize();
      awaitingGate = true; // before asking: the wake-up may come before the answer
      if (!gate.tryAcquire(this, bytes, this::gateOpened)) {
        if (closed.get()) {
          gate.cancel(this); // closed meanwhile: it must not stay in the line
        }
        return sendKeepaliveIfDue(); // everything else waits behind the full_sync
      }
      awaitingGate = false;
      holdingSinceNanos = nanoTime.getAsLong();
      holding.addAndGet(bytes);
      if (closed.get()) {
        releaseSentFullSync(); // closed meanwhile: nobody else would give the bytes back
        return false;
      }
      send(TopologyUpdate.newBuilder().setVersion(topology.version())
          .setPreviousVersion(lastDelivered)
          .setFullSync(body)
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
    return sendKeepaliveIfDue();
  }

  private boolean sendKeepaliveIfDue() {
    if (!keepaliveDue) {
      return false;
    }
    keepaliveDue = false;
    send(TopologyUpdate.newBuilder().setVersion(lastDelivered).setPreviousVersion(lastDelivered)
        .setKeepalive(Keepalive.newBuilder().setServerTime(serverTime.getAsLong()))
        .build());
    return true;
  }

  private void gateOpened() {
    awaitingGate = false;
    schedule();
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
