package io.gitstratum.coordinator.bench.capacity;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.gitstratum.coordinator.bench.facade.Nodes;
import io.gitstratum.coordinator.bench.measure.Latencies;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceStub;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Open-loop heartbeats: every node heartbeats once per {@code interval} at its own fixed phase,
 * whatever the replica's answers do. Node i's phase is the fractional part of i times the golden
 * ratio, so the first n nodes are spread evenly over the interval for any n, and adding nodes
 * never moves the existing ones. Latency counts from the scheduled send time, so a stalled
 * replica or a late sender shows up in the tail instead of slowing the load down (no
 * coordinated omission). Calls in flight are capped; past the cap a heartbeat counts as an error.
 * A heartbeat the replica refuses as overloaded is sent once more after the delay it names, as
 * the shipped client does (with one replica there is no other to try).
 *
 * <p>One scheduler thread; answers arrive on gRPC's threads. {@link #close()} stops sending.
 */
public final class OpenLoopHeartbeats implements AutoCloseable {
  private static final int MAX_IN_FLIGHT = 20_000;
  private static final double GOLDEN = 0.6180339887498949;

  private final List<CoordinatorServiceStub> stubs;
  private final IntFunction<String> idOf;
  private final long intervalNanos;
  private final Thread scheduler;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<Recording> recording = new AtomicReference<>();
  private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "heartbeat-retries");
        thread.setDaemon(true);
        return thread;
      });
  private volatile int nodes;
  private volatile boolean closed;

  public OpenLoopHeartbeats(List<CoordinatorServiceStub> stubs, IntFunction<String> idOf,
      Duration interval) {
    this.stubs = List.copyOf(stubs);
    this.idOf = idOf;
    this.intervalNanos = interval.toNanos();
    this.scheduler = new Thread(this::run, "open-loop-heartbeats");
    this.scheduler.setDaemon(true);
    this.scheduler.start();
  }

  /** Heartbeats for nodes {@code 0..n-1} from now on; a new node starts at its next phase. */
  public void nodes(int n) {
    this.nodes = n;
  }

  /** Starts recording the heartbeats sent from now on (replacing any recording). */
  public Recording record(int capacity) {
    Recording r = new Recording(capacity);
    recording.set(r);
    return r;
  }

  /** Stops recording; answers to heartbeats already sent still land in it. */
  public void stopRecording() {
    recording.set(null);
  }

  private long phase(int node) {
    double fraction = (node * GOLDEN) % 1.0;
    return (long) (fraction * intervalNanos);
  }

  private void run() {
    int n = 0;
    long[] phases = new long[0]; // sorted
    int[] byPhase = new int[0];
    int next = 0; // index into the sorted phases, within the current cycle
    long cycleStart = System.nanoTime();
    while (!closed) {
      long now = System.nanoTime();
      if (now - cycleStart >= intervalNanos) {
        // Finish the cycle that ended, then start the next one.
        for (; next < n; next++) {
          send(byPhase[next], cycleStart + phases[next]);
        }
        cycleStart += intervalNanos;
        next = 0;
        continue;
      }
      long elapsed = now - cycleStart;
      while (next < n && phases[next] <= elapsed && !closed) {
        send(byPhase[next], cycleStart + phases[next]);
        next++;
      }
      int target = nodes;
      if (target != n) {
        n = target;
        byPhase = IntStream.range(0, n).boxed()
            .sorted(Comparator.comparingLong(this::phase))
            .mapToInt(Integer::intValue).toArray();
        phases = new long[n];
        for (int i = 0; i < n; i++) {
          phases[i] = phase(byPhase[i]);
        }
        // Continue the current cycle: every node whose phase has passed was sent above, and a
        // new node whose phase has passed starts in the next cycle.
        next = 0;
        while (next < n && phases[next] <= elapsed) {
          next++;
        }
      }
      long wake = next < n ? phases[next] - elapsed : intervalNanos - elapsed;
      LockSupport.parkNanos(Math.max(50_000, Math.min(5_000_000, wake)));
    }
  }

  private void send(int node, long scheduled) {
    send(node, scheduled, false);
  }

  private void send(int node, long scheduled, boolean retry) {
    Recording r = recording.get();
    if (r != null) {
      r.sent.incrementAndGet();
    }
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      if (r != null) {
        r.failed("more than " + MAX_IN_FLIGHT + " heartbeats in flight");
      }
      return;
    }
    stubs.get(node % stubs.size()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .heartbeat(Nodes.beat(idOf.apply(node)), new StreamObserver<HeartbeatResponse>() {
          @Override
          public void onNext(HeartbeatResponse value) {}

          @Override
          public void onError(Throwable t) {
            inFlight.decrementAndGet();
            if (r == null) {
              return;
            }
            Optional<Duration> retryAfter = shed(t);
            if (retryAfter.isPresent()) {
              r.rejected.add(System.nanoTime() - scheduled);
              if (!retry && !closed) {
                retries.schedule(() -> send(node, System.nanoTime(), true),
                    retryAfter.get().toMillis(), TimeUnit.MILLISECONDS);
              }
            } else {
              r.failed(t.toString());
            }
          }

          @Override
          public void onCompleted() {
            inFlight.decrementAndGet();
            if (r != null) {
              r.latencies.add(System.nanoTime() - scheduled);
            }
          }
        });
  }

  /**
   * When the replica refused a heartbeat at once because it was past its capacity: the delay it
   * asked for (RetryInfo; 1 s if it named none).
   */
  private static Optional<Duration> shed(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return Optional.empty();
    }
    boolean overloaded = false;
    Duration delay = Duration.ofSeconds(1);
    try {
      for (Any detail : status.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          overloaded = detail.unpack(ErrorInfo.class).getReason().equals("REPLICA_OVERLOADED");
        } else if (detail.is(RetryInfo.class)) {
          com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
          delay = Duration.ofSeconds(d.getSeconds(), d.getNanos());
        }
      }
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
    return overloaded ? Optional.of(delay) : Optional.empty();
  }

  @Override
  public void close() {
    closed = true;
    retries.shutdownNow();
    scheduler.interrupt();
    try {
      scheduler.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The heartbeats of one measured window. */
  public static final class Recording {
    private final Latencies latencies;
    private final Latencies rejected;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>("");

    Recording(int capacity) {
      this.latencies = new Latencies(capacity);
      this.rejected = new Latencies(capacity);
    }

    /** Heartbeats refused at once (REPLICA_OVERLOADED), from the scheduled send time. */
    public Latencies rejected() {
      return rejected;
    }

    void failed(String why) {
      errors.incrementAndGet();
      firstError.compareAndSet("", why);
    }

    public Latencies latencies() {
      return latencies;
    }

    public long sent() {
      return sent.get();
    }

    public long errors() {
      return errors.get();
    }

    public String firstError() {
      return firstError.get();
    }
  }
}
