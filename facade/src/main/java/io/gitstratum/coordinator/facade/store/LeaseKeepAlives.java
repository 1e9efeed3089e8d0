package io.gitstratum.coordinator.facade.store;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.metrics.LogThrottle;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews node leases over a few long-lived LeaseKeepAlive streams per replica (each lease always
 * on the same one), so that a heartbeat costs exactly one etcd request (jetcd's keepAliveOnce
 * opens a stream per call and sends each request twice). etcd answers the requests of one stream
 * one after another; responses are matched to waiting callers by lease id.
 *
 * <p>Why more than one stream: etcd serves a stream's requests strictly in turn, and a renewal
 * of a lease that has just expired waits until etcd has revoked it; with writes going on, one
 * stream also tops out at a few thousand renewals a second. {@link #LANES} streams let etcd
 * work on several at once and keep one slow lease from holding up every node.
 *
 * <p>On a stream failure every caller waiting on it fails (UNAVAILABLE, safe to retry) and the
 * next call opens a new stream on the next endpoint. A stream whose renewal goes unanswered for
 * the etcd timeout counts as failed too: an etcd member whose network silently drops packets
 * leaves its connections open, and TCP keepalive would notice only much later. Its endpoint is
 * then avoided by every lane for a while ({@link #SILENT_ENDPOINT_AVOIDED_FOR} timeouts), so a
 * black-holed member costs a node at most one unanswered renewal per replica. With etcd auth,
 * each stream carries the auth token; one etcd rejected is fetched again for the next stream.
 * Thread-safe; owns its channels.
 */
public final class LeaseKeepAlives implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeepAlives.class);

  /** Streams per replica. */
  static final int LANES = 4;

  /** At most one log line about refused heartbeats this often. */
  static final Duration SHED_LOG_INTERVAL = Duration.ofSeconds(10);

  /** When a node whose heartbeat was shed should try again (here, or at once elsewhere). */
  static final Duration RETRY_AFTER_SHED = Duration.ofSeconds(1);

  /** How long, in etcd timeouts, an endpoint that left a renewal unanswered is avoided. */
  static final int SILENT_ENDPOINT_AVOIDED_FOR = 10;

  private final List<ManagedChannel> channels;
  private final Optional<EtcdAuthToken> token;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final Lane[] lanes = new Lane[LANES];
  private final HeartbeatShedding shedding;
  /** Leases a heartbeat renewed within half the node lease TTL: the ones that may be refused. */
  private final Cache<Long, Boolean> renewedRecently;
  private final LogThrottle shedLog = new LogThrottle(SHED_LOG_INTERVAL);
  // Per endpoint: System.nanoTime() until which it is avoided (0: never was silent).
  private final long[] silentUntil;

  /**
   * @param channels one per etcd endpoint (see {@link EtcdConnector#channels()}); owned from now
   * @param token etcd's auth token when etcd wants a user and password
   */
  public LeaseKeepAlives(List<ManagedChannel> channels, Optional<EtcdAuthToken> token,
      Duration timeout, FacadeMetrics metrics) {
    this(channels, token, timeout, Duration.ZERO, Duration.ofSeconds(1), metrics);
  }

  /**
   * @param shedAfter how long renewals must keep waiting before {@link #heartbeatAsync} refuses
   *     heartbeats (see {@link HeartbeatShedding}; zero: never)
   * @param nodeLeaseTtl the TTL of node leases (the suspect timeout): a heartbeat is refused
   *     only while its lease has more than half of it left
   */
  public LeaseKeepAlives(List<ManagedChannel> channels, Optional<EtcdAuthToken> token,
      Duration timeout, Duration shedAfter, Duration nodeLeaseTtl, FacadeMetrics metrics) {
    this.shedding = new HeartbeatShedding(shedAfter.toNanos(), timeout.toNanos() / 2);
    this.renewedRecently = CacheBuilder.newBuilder()
        .expireAfterWrite(nodeLeaseTtl.dividedBy(2)).build();
    this.metrics = metrics;
    this.channels = List.copyOf(channels);
    this.token = token;
    this.timeout = timeout;
    this.silentUntil = new long[this.channels.size()];
    for (int i = 0; i < LANES; i++) {
      lanes[i] = new Lane(i);
    }
  }

  /**
   * Renews {@code leaseId} once.
   *
   * @return the lease's new TTL in seconds; 0 or less when the lease no longer exists
   * @throws UnavailableException when etcd did not answer within the deadline
   */
  public long keepAlive(long leaseId) {
    return Completions.join(keepAliveAsync(leaseId));
  }

  /**
   * Sends one renewal of {@code leaseId}. The answer is its new TTL, as {@link #keepAlive}; it
   * fails with UNAVAILABLE when etcd does not answer within the deadline.
   */
  public CompletableFuture<Long> keepAliveAsync(long leaseId) {
    return send(laneOf(leaseId), leaseId);
  }

  /**
   * A node's heartbeat renewal: as {@link #keepAliveAsync}, but refused at once, with nothing
   * sent, when its stream is past what etcd keeps up with ({@link HeartbeatShedding}): past the
   * replica's capacity, refusing the excess early keeps the accepted heartbeats fast instead of
   * letting every one of them queue until they all time out.
   *
   * @throws UnavailableException {@code REPLICA_OVERLOADED}, with a retry delay
   */
  public CompletableFuture<Long> heartbeatAsync(long leaseId) {
    Lane lane = laneOf(leaseId);
    if (shedding.shedAfterNanos() > 0) {
      HeartbeatShedding.Backlog backlog = lane.backlog();
      if (shedding.refuse(backlog, renewedRecently.getIfPresent(leaseId) != null)) {
        long waited = backlog.oldestWaitNanos();
        metrics.heartbeatShed();
        logShedding(waited);
        throw UnavailableException.overloaded(Duration.ofNanos(waited), RETRY_AFTER_SHED);
      }
    }
    return send(lane, leaseId).thenApply(ttl -> {
      if (ttl > 0 && shedding.shedAfterNanos() > 0) {
        renewedRecently.put(leaseId, Boolean.TRUE);
      }
      return ttl;
    });
  }

  /** One line per {@link #SHED_LOG_INTERVAL} at most, with the heartbeats refused meanwhile. */
  private void logShedding(long waitedNanos) {
    shedLog.log("shed", held -> log.warn("refusing heartbeats: lease renewals wait {} ms for "
        + "etcd (more than --heartbeat-shed-after); {} refused since the last such "
        + "line",
        waitedNanos / 1_000_000, held + 1));
  }

  private Lane laneOf(long leaseId) {
    return lanes[Math.floorMod(Long.hashCode(leaseId * 0x9E3779B97F4A7C15L), LANES)];
  }

  private CompletableFuture<Long> send(Lane lane, long leaseId) {
    // Authenticating blocks (bounded by the etcd timeout), so it happens outside the lane's lock.
    token.ifPresent(t -> t.ensure(lane.currentChannel()));
    long start = System.nanoTime();
    return lane.send(leaseId)
        .handle((ttl, error) -> {
          metrics.etcdDone("lease keep-alive", start, error == null);
          if (error == null) {
            return ttl;
          }
          Throwable cause = Completions.cause(error);
          throw cause instanceof TimeoutException
              ? new UnavailableException("etcd did not answer lease keep-alive within "
                  + timeout, cause)
              : new UnavailableException("etcd lease keep-alive failed: " + cause, cause);
        });
  }

  @Override
  public void close() {
    for (Lane lane : lanes) {
      lane.close();
    }
    channels.forEach(ManagedChannel::shutdownNow);
  }

  /** One stream and the callers waiting for its answers. */
  private final class Lane {
    private final Object lock = new Object();

    @GuardedBy("lock")
    private StreamObserver<LeaseKeepAliveRequest> requests;

    @GuardedBy("lock")
    private final Map<Long, Queue<CompletableFuture<Long>>> waiting = new HashMap<>();

    /** When each renewal now waiting was sent, oldest first (etcd answers in turn). */
    @GuardedBy("lock")
    private final ArrayDeque<Long> sentAt = new ArrayDeque<>();

    /** When the current stream last answered anything (or was opened). */
    @GuardedBy("lock")
    private long lastAnsweredNanos;

    /** Since when every renewal answered has waited at least shedAfter; 0: the last did not. */
    @GuardedBy("lock")
    private long slowSince;

    @GuardedBy("lock")
    private int endpoint;

    @GuardedBy("lock")
    private long streamId;

    private final int index;

    Lane(int index) {
      this.index = index;
      this.endpoint = index; // spread the lanes over the endpoints from the start
    }

    CompletableFuture<Long> send(long leaseId) {
      CompletableFuture<Long> answer = new CompletableFuture<>();
      long sentOn;
      synchronized (lock) {
        waiting.computeIfAbsent(leaseId, id -> new ArrayDeque<>(1)).add(answer);
        sentAt.addLast(System.nanoTime());
        try {
          stream().onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
        } catch (RuntimeException e) {
          failAll(streamId, e);
        }
        sentOn = streamId;
      }
      answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ttl, error) -> {
        if (error instanceof TimeoutException) {
          unanswered(sentOn);
        }
      });
      return answer;
    }

    HeartbeatShedding.Backlog backlog() {
      synchronized (lock) {
        long now = System.nanoTime();
        Long oldest = sentAt.peekFirst();
        return new HeartbeatShedding.Backlog(sentAt.size(), oldest == null ? 0 : now - oldest,
            slowSince == 0 ? 0 : now - slowSince);
      }
    }

    /**
     * A renewal on stream {@code id} went unanswered: its caller has failed already. If the
     * stream answered nothing else for as long, abandon it and its endpoint (silent); if answers
     * still come, etcd is slow, not gone, and resetting the stream would only fail every renewal
     * waiting on it, exactly when etcd is busiest.
     */
    private void unanswered(long id) {
      synchronized (lock) {
        if (id != streamId || requests == null) {
          return; // that stream is gone already
        }
        if (System.nanoTime() - lastAnsweredNanos < timeout.toNanos()) {
          return; // slow, not silent
        }
        int silent = endpoint % channels.size();
        synchronized (silentUntil) {
          silentUntil[silent] = System.nanoTime()
              + timeout.multipliedBy(SILENT_ENDPOINT_AVOIDED_FOR).toNanos();
        }
        log.warn("etcd endpoint {} left a lease renewal unanswered for {}: moving lane {} off it",
            silent, timeout, index);
      }
      metrics.keepAliveStreamReset();
      failAll(id, new TimeoutException("etcd did not answer lease keep-alive within " + timeout));
    }

    /** The next endpoint after the current one that is not being avoided (any, if all are). */
    @GuardedBy("lock")
    private void moveToNextEndpoint() {
      long now = System.nanoTime();
      synchronized (silentUntil) {
        for (int step = 1; step <= channels.size(); step++) {
          int candidate = (endpoint + step) % channels.size();
          if (silentUntil[candidate] == 0 || silentUntil[candidate] - now <= 0) {
            endpoint = candidate;
            return;
          }
        }
      }
      endpoint++;
    }

    ManagedChannel currentChannel() {
      synchronized (lock) {
        return channels.get(endpoint % channels.size());
      }
    }

    @GuardedBy("lock")
    private StreamObserver<LeaseKeepAliveRequest> stream() {
      if (requests == null) {
        long id = ++streamId;
        lastAnsweredNanos = System.nanoTime();
        ManagedChannel channel = channels.get(endpoint % channels.size());
        // The stream outlives the RPC that happens to open it: detach it from that call's
        // context, which gRPC cancels when the call ends.
        Context previous = Context.ROOT.attach();
        try {
          requests = open(channel, id);
        } finally {
          Context.ROOT.detach(previous);
        }
      }
      return requests;
    }

    private StreamObserver<LeaseKeepAliveRequest> open(ManagedChannel channel, long id) {
      LeaseGrpc.LeaseStub stub = LeaseGrpc.newStub(channel);
      if (token.isPresent()) {
        stub = stub.withInterceptors(token.get().interceptor());
      }
      return stub.leaseKeepAlive(new StreamObserver<>() {
        @Override
        public void onNext(LeaseKeepAliveResponse response) {
          answer(id, response);
        }

        @Override
        public void onError(Throwable t) {
          failAll(id, t);
        }

        @Override
        public void onCompleted() {
          failAll(id, new IllegalStateException("etcd closed the keep-alive stream"));
        }
      });
    }

    private void answer(long id, LeaseKeepAliveResponse response) {
      CompletableFuture<Long> caller;
      synchronized (lock) {
        if (id != streamId) {
          return; // a late answer on an abandoned stream; its callers were failed already
        }
        long now = System.nanoTime();
        lastAnsweredNanos = now;
        Long sent = sentAt.pollFirst();
        if (sent != null && now - sent >= shedding.shedAfterNanos()) {
          slowSince = slowSince == 0 ? now : slowSince;
        } else {
          slowSince = 0;
        }
        Queue<CompletableFuture<Long>> queue = waiting.get(response.getID());
        caller = queue == null ? null : queue.poll();
        if (queue != null && queue.isEmpty()) {
          waiting.remove(response.getID());
        }
      }
      if (caller != null) {
        caller.complete(response.getTTL());
      }
    }

    private void failAll(long id, Throwable cause) {
      token.ifPresent(t -> t.invalidateIfRejected(cause));
      List<CompletableFuture<Long>> failed;
      synchronized (lock) {
        if (id != streamId || requests == null) {
          return; // an older stream; its callers were failed already
        }
        try {
          requests.onError(cause);
        } catch (RuntimeException ignored) {
          // the stream is already broken
        }
        requests = null;
        moveToNextEndpoint();
        failed = waiting.values().stream().flatMap(Queue::stream).toList();
        waiting.clear();
        sentAt.clear();
        slowSince = 0;
      }
      if (!failed.isEmpty()) {
        log.warn("lease keep-alive stream failed ({} callers waiting): {}", failed.size(),
            cause.toString());
      }
      failed.forEach(f -> f.completeExceptionally(cause));
    }

    void close() {
      synchronized (lock) {
        if (requests != null) {
          requests.onCompleted();
          requests = null;
        }
      }
    }
  }
}
