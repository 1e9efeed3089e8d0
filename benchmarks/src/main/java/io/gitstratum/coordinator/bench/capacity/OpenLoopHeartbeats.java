package io.gitstratum.coordinator.bench.capacity;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.gitstratum.coordinator.bench.facade.Nodes;
import io.gitstratum.coordinator.bench.measure.Latencies;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceStub;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Open-loop heartbeats: every node heartbeats once per {@code interval} at its own fixed phase
 * ({@link PhasedSchedule}), whatever the replica's answers do. Latency counts from the
 * scheduled send time, so a stalled replica or a late sender shows up in the tail instead of
 * slowing the load down (no coordinated omission). Calls in flight are capped; past the cap a
 * heartbeat counts as an error. A heartbeat the replica refuses as overloaded is sent once more
 * after the delay it names, as the shipped client does (with one replica there is no other to
 * try). Each node's request is built once.
 *
 * <p>One scheduler thread; answers arrive on gRPC's threads. {@link #close()} stops sending.
 */
public final class OpenLoopHeartbeats implements AutoCloseable {
  private static final int MAX_IN_FLIGHT = 20_000;

  private final List<CoordinatorServiceStub> stubs;
  private final IntFunction<String> idOf;
  /** Each node's heartbeat, built once: a heartbeat allocates no request of its own. */
  private volatile HeartbeatRequest[] requests = new HeartbeatRequest[0];
  private final PhasedSchedule schedule;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<Recording> recording = new AtomicReference<>();
  private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "heartbeat-retries");
        thread.setDaemon(true);
        return thread;
      });

  public OpenLoopHeartbeats(List<CoordinatorServiceStub> stubs, IntFunction<String> idOf,
      Duration interval) {
    this.stubs = List.copyOf(stubs);
    this.idOf = idOf;
    this.schedule = new PhasedSchedule("open-loop-heartbeats", interval, this::send);
  }

  /** Heartbeats for nodes {@code 0..n-1} from now on; a new node starts at its next phase. */
  public void nodes(int n) {
    HeartbeatRequest[] current = requests;
    if (n > current.length) {
      HeartbeatRequest[] grown = Arrays.copyOf(current, n);
      for (int i = current.length; i < n; i++) {
        grown[i] = Nodes.beat(idOf.apply(i));
      }
      requests = grown; // published before the schedule sends to the new nodes
    }
    schedule.nodes(n);
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
        .heartbeat(requests[node], new StreamObserver<HeartbeatResponse>() {
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
              if (!retry && !schedule.closed()) {
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
    schedule.close();
    retries.shutdownNow();
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

    void countSent() {
      sent.incrementAndGet();
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
