package io.gitstratum.coordinator.bench.capacity;

import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The raw baseline of the capacity probe: N etcd leases kept alive directly over ONE
 * LeaseKeepAlive stream (jetcd's generated etcd gRPC stubs, the stream jetcd's own keepAlive
 * uses), each renewed once per interval at its {@link PhasedSchedule} phase, open loop. jetcd's
 * {@code Lease.keepAlive} renews at a third of the TTL on its own clock and times nothing, so
 * the probe drives the stream itself. Leases get explicit IDs ({@code base + i}). Latency counts
 * from the scheduled send time to the answer, which lands in the recording its renewal was sent
 * under; an answer with TTL 0 (the lease expired) or a broken stream counts as an error.
 *
 * <p>Lean: one channel, one stream, one scheduler thread sending, answers on gRPC's thread; per
 * renewal only the request is allocated. {@link #close()} ends the stream and the channel.
 */
public final class OpenLoopKeepAlives implements AutoCloseable {
  private final ManagedChannel channel;
  /** Lease IDs are {@code baseId + node}: random, so no two instances share one etcd's IDs. */
  private final int maxLeases;
  private final long baseId = ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50);
  /**
   * Renewals in flight, in send order: etcd answers one stream's requests in order, so answer k
   * belongs to request k. Written by the sending thread at {@code sent}, read by gRPC's thread
   * at {@code answered}; a slot is reused only once answered.
   */
  private final AtomicLongArray dueRing = new AtomicLongArray(RING);
  private final AtomicLongArray nodeRing = new AtomicLongArray(RING);
  private final AtomicReferenceArray<OpenLoopHeartbeats.Recording> recordingRing =
      new AtomicReferenceArray<>(RING);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private static final int RING = 1 << 16;

  private final AtomicReference<OpenLoopHeartbeats.Recording> recording = new AtomicReference<>();
  private final AtomicReference<String> broken = new AtomicReference<>("");
  private final StreamObserver<LeaseKeepAliveRequest> requests;
  private final PhasedSchedule schedule;

  /**
   * Opens the stream to etcd at {@code endpoint} ({@code http://host:port}) for up to
   * {@code maxLeases} leases; none is renewed until {@link #leases(int)}.
   */
  public OpenLoopKeepAlives(String endpoint, int maxLeases, Duration interval) {
    this.maxLeases = maxLeases;
    URI uri = URI.create(endpoint);
    this.channel = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext()
        .build();
    this.requests = LeaseGrpc.newStub(channel).leaseKeepAlive(new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse answer) {
        int slot = (int) (answered.get() % RING);
        OpenLoopHeartbeats.Recording r = recordingRing.get(slot);
        long node = nodeRing.get(slot);
        long due = dueRing.get(slot);
        answered.incrementAndGet(); // frees the slot
        if (r == null) {
          return;
        }
        if (answer.getID() != leaseId((int) node)) {
          r.failed("answer for lease " + answer.getID() + " where " + leaseId((int) node)
              + " was next: etcd answered out of order");
        } else if (answer.getTTL() <= 0) {
          r.failed("lease " + node + " expired");
        } else {
          r.latencies().add(System.nanoTime() - due);
        }
      }

      @Override
      public void onError(Throwable t) {
        broken.compareAndSet("", "LeaseKeepAlive stream ended: " + t);
      }

      @Override
      public void onCompleted() {
        broken.compareAndSet("", "LeaseKeepAlive stream completed by etcd");
      }
    });
    this.schedule = new PhasedSchedule("open-loop-keepalives", interval, this::send);
  }

  /**
   * Grants leases {@code from..to-1} with their explicit IDs and {@code ttl}, at most 128 in
   * flight, each with a 10 s deadline; returns the number that failed.
   */
  public long grant(int from, int to, Duration ttl) throws InterruptedException {
    Semaphore inFlight = new Semaphore(128);
    AtomicLong failures = new AtomicLong();
    LeaseGrpc.LeaseStub stub = LeaseGrpc.newStub(channel);
    for (int i = from; i < to; i++) {
      inFlight.acquire();
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).leaseGrant(LeaseGrantRequest.newBuilder()
          .setID(leaseId(i)).setTTL(ttl.toSeconds()).build(), new StreamObserver<>() {
            @Override
            public void onNext(io.etcd.jetcd.api.LeaseGrantResponse value) {
              if (!value.getError().isEmpty()) {
                failures.incrementAndGet();
              }
            }

            @Override
            public void onError(Throwable t) {
              failures.incrementAndGet();
              inFlight.release();
            }

            @Override
            public void onCompleted() {
              inFlight.release();
            }
          });
    }
    if (!inFlight.tryAcquire(128, 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("lease grants still unanswered after 30 s");
    }
    return failures.get();
  }

  /** The etcd lease ID of node {@code node}. */
  long leaseId(int node) {
    return baseId + node;
  }

  /** Renews leases {@code 0..n-1} from now on (granted first); a new one starts at its phase. */
  public void leases(int n) {
    if (n > maxLeases) {
      throw new IllegalArgumentException(n + " leases, more than the " + maxLeases + " planned");
    }
    schedule.nodes(n);
  }

  /** Starts recording the renewals sent from now on (replacing any recording). */
  public OpenLoopHeartbeats.Recording record(int capacity) {
    OpenLoopHeartbeats.Recording r = new OpenLoopHeartbeats.Recording(capacity);
    recording.set(r);
    return r;
  }

  /** Stops recording; answers to renewals already sent still land in it. */
  public void stopRecording() {
    recording.set(null);
  }

  /** Called on the schedule's one thread only: a StreamObserver is not thread-safe. */
  private void send(int node, long due) {
    OpenLoopHeartbeats.Recording r = recording.get();
    if (r != null) {
      r.countSent();
    }
    if (!broken.get().isEmpty()) {
      if (r != null) {
        r.failed(broken.get());
      }
      return;
    }
    long seq = sent.get();
    if (seq - answered.get() >= RING) {
      if (r != null) {
        r.failed("more than " + RING + " renewals in flight");
      }
      return;
    }
    int slot = (int) (seq % RING);
    dueRing.set(slot, due);
    nodeRing.set(slot, node);
    recordingRing.set(slot, r);
    sent.set(seq + 1); // publishes the slot before the request can be answered
    requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId(node)).build());
  }

  @Override
  public void close() {
    schedule.close();
    try {
      requests.onCompleted();
    } catch (RuntimeException e) {
      // the stream already failed
    }
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
