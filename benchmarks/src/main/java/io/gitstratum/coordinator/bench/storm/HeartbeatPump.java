package io.gitstratum.coordinator.bench.storm;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The agents of a fleet: every node that {@link #beating} selects heartbeats once per period,
 * the fleet spread over the period in {@link #SLICES} slices (each agent on its own clock), never
 * waiting for answers. Failed heartbeats are counted by code. {@link #close()} stops it.
 */
final class HeartbeatPump implements AutoCloseable {
  private static final int SLICES = 10;

  private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(
      r -> new Thread(r, "storm-heartbeats"));
  private final IntFunction<ListenableFuture<?>> beat;
  private final int nodes;
  private volatile IntPredicate beating = i -> false;
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private int slice;

  HeartbeatPump(int nodes, Duration period, IntFunction<ListenableFuture<?>> beat) {
    this.nodes = nodes;
    this.beat = beat;
    long every = period.toNanos() / SLICES;
    clock.scheduleAtFixedRate(this::beatSlice, every, every, TimeUnit.NANOSECONDS);
  }

  /** From now on, the nodes that heartbeat. */
  void beating(IntPredicate which) {
    beating = which;
  }

  /** Heartbeats that failed so far, by status code. */
  Map<String, Long> failures() {
    Map<String, Long> copy = new java.util.TreeMap<>();
    failures.forEach((code, n) -> copy.put(code, n.sum()));
    return copy;
  }

  private void beatSlice() {
    IntPredicate which = beating;
    for (int i = slice; i < nodes; i += SLICES) {
      if (which.test(i)) {
        Futures.addCallback(beat.apply(i), new FutureCallback<Object>() {
          @Override
          public void onSuccess(Object result) {}

          @Override
          public void onFailure(Throwable error) {
            failures.computeIfAbsent(Status.fromThrowable(error).getCode().name(),
                c -> new LongAdder()).increment();
          }
        }, MoreExecutors.directExecutor());
      }
    }
    slice = (slice + 1) % SLICES;
  }

  @Override
  public void close() {
    clock.shutdownNow();
  }
}
