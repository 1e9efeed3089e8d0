package io.gitstratum.coordinator.facade.store;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.gitstratum.coordinator.facade.core.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews node leases over ONE long-lived LeaseKeepAlive stream per replica, so that a heartbeat
 * costs exactly one etcd request (jetcd's keepAliveOnce opens a stream per call and sends each
 * request twice). etcd answers each request on the stream in order; responses are matched to
 * waiting callers by lease id.
 *
 * <p>On a stream failure every waiting caller fails (UNAVAILABLE, safe to retry) and the next
 * call opens a new stream on the next endpoint. With etcd auth, each stream carries the auth
 * token; one etcd rejected is fetched again for the next stream. Thread-safe; owns its
 * channels.
 */
public final class LeaseKeepAlives implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeepAlives.class);

  private final List<ManagedChannel> channels;
  private final Optional<EtcdAuthToken> token;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final Object lock = new Object();

  @GuardedBy("lock")
  private StreamObserver<LeaseKeepAliveRequest> requests;

  @GuardedBy("lock")
  private final Map<Long, Queue<CompletableFuture<Long>>> waiting = new HashMap<>();

  @GuardedBy("lock")
  private int endpoint;

  @GuardedBy("lock")
  private long streamId;

  /**
   * @param channels one per etcd endpoint (see {@link EtcdConnector#channels()}); owned from now
   * @param token etcd's auth token when etcd wants a user and password
   */
  public LeaseKeepAlives(List<ManagedChannel> channels, Optional<EtcdAuthToken> token,
      Duration timeout, FacadeMetrics metrics) {
    this.metrics = metrics;
    this.channels = List.copyOf(channels);
    this.token = token;
    this.timeout = timeout;
  }

  /**
   * Renews {@code leaseId} once.
   *
   * @return the lease's new TTL in seconds; 0 or less when the lease no longer exists
   * @throws UnavailableException when etcd did not answer within the deadline
   */
  public long keepAlive(long leaseId) {
    CompletableFuture<Long> answer = keepAliveAsync(leaseId);
    return metrics.etcd("lease keep-alive", () ->
        Deadlines.await(answer, timeout, "lease keep-alive"));
  }

  /** Sends one renewal of {@code leaseId}; the answer is its new TTL, as {@link #keepAlive}. */
  public CompletableFuture<Long> keepAliveAsync(long leaseId) {
    // Authenticating blocks (bounded by the etcd timeout), so it happens outside the lock.
    token.ifPresent(t -> t.ensure(currentChannel()));
    CompletableFuture<Long> answer = new CompletableFuture<>();
    synchronized (lock) {
      waiting.computeIfAbsent(leaseId, id -> new ArrayDeque<>(1)).add(answer);
      try {
        stream().onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
      } catch (RuntimeException e) {
        failAll(streamId, e);
      }
    }
    return answer;
  }

  private ManagedChannel currentChannel() {
    synchronized (lock) {
      return channels.get(endpoint % channels.size());
    }
  }

  @GuardedBy("lock")
  private StreamObserver<LeaseKeepAliveRequest> stream() {
    if (requests == null) {
      long id = ++streamId;
      ManagedChannel channel = channels.get(endpoint % channels.size());
      // The stream outlives the RPC that happens to open it: detach it from that call's context,
      // which gRPC cancels when the call ends.
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
        answer(response);
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

  private void answer(LeaseKeepAliveResponse response) {
    CompletableFuture<Long> caller;
    synchronized (lock) {
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
      if (requests != null) {
        try {
          requests.onError(cause);
        } catch (RuntimeException ignored) {
          // the stream is already broken
        }
      }
      requests = null;
      endpoint++;
      failed = waiting.values().stream().flatMap(Queue::stream).toList();
      waiting.clear();
    }
    if (!failed.isEmpty()) {
      log.warn("lease keep-alive stream failed ({} callers waiting): {}", failed.size(),
          cause.toString());
    }
    failed.forEach(f -> f.completeExceptionally(cause));
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (requests != null) {
        requests.onCompleted();
        requests = null;
      }
    }
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
