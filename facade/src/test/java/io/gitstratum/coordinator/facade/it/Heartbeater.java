package io.gitstratum.coordinator.facade.it;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test nodes that heartbeat every {@code intervalMs}, alternating over the given replicas, and
 * remember when each last heartbeat was answered.
 */
public final class Heartbeater implements AutoCloseable {
  private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
  private final List<CoordinatorServiceBlockingStub> replicas;
  private final Map<String, ScheduledFuture<?>> running = new ConcurrentHashMap<>();
  private final Map<String, Long> lastAnsweredNanos = new ConcurrentHashMap<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger next = new AtomicInteger();

  public Heartbeater(List<CoordinatorServiceBlockingStub> replicas) {
    this.replicas = List.copyOf(replicas);
  }

  public void start(String nodeId, String generation, long intervalMs) {
    running.put(nodeId, timer.scheduleAtFixedRate(() -> {
      try {
        replicas.get(Math.floorMod(next.getAndIncrement(), replicas.size())).heartbeat(
            HeartbeatRequest.newBuilder().setNodeId(nodeId).setGenerationId(generation)
                .setReportedState(NodeState.NODE_STATE_ACTIVE).build());
        lastAnsweredNanos.put(nodeId, System.nanoTime());
      } catch (RuntimeException e) {
        failures.incrementAndGet();
      }
    }, 0, intervalMs, TimeUnit.MILLISECONDS));
  }

  /** Stops one node's heartbeats; returns when its last heartbeat was answered (nanoTime). */
  public long stop(String nodeId) {
    ScheduledFuture<?> task = running.remove(nodeId);
    if (task != null) {
      task.cancel(false);
    }
    return lastAnsweredNanos.getOrDefault(nodeId, -1L);
  }

  public int failures() {
    return failures.get();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
