package io.gitstratum.coordinator.facade.lease;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.gitstratum.coordinator.facade.core.Durations;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
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
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.gitstratum.coordinator.facade.etcd.EtcdAuthToken;
import io.gitstratum.coordinator.facade.etcd.SilentMembers;

/**
 * One LeaseKeepAlive stream of {@link LeaseKeepAlives} and the callers waiting for its answers
 * (matched by lease id, etcd answering in turn), with its reconnect state: which etcd endpoint
 * it is on, which stream is current, and when it last answered. A stream that fails, or leaves
 * a renewal unanswered while answering nothing else for the etcd timeout, fails every caller
 * waiting on it; the next renewal opens a new stream on the next endpoint not being avoided,
 * and a silent endpoint is avoided by every lane (and the writer's commits) for a while
 * ({@link SilentMembers}). Thread-safe (its {@code lock}, then {@code silent}'s); made, owned
 * and closed by {@link LeaseKeepAlives}, which owns the channels.
 */
final class KeepAliveLane {
  private static final Logger log = LoggerFactory.getLogger(KeepAliveLane.class);

  private final int index;
  private final List<ManagedChannel> channels;
  private final Optional<EtcdAuthToken> token;
  private final Duration timeout;
  private final long shedAfterNanos;
  private final SilentMembers silent;
  /** Tells every lane of the owner that a member does not answer its status. */
  private final IntConsumer memberDown;
  private final FacadeMetrics metrics;

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

  /**
   * Since when every renewal answered has waited at least shedAfter with more still waiting; 0:
   * the last did not, or it left the queue empty (a burst that drained, then a pause, is not the
   * start of a standing queue).
   */
  @GuardedBy("lock")
  private long slowSince;

  /** The index of the endpoint this lane is on: its next stream opens there. */
  @GuardedBy("lock")
  private int endpoint;

  /** The stream being ended hung on a member that answers: the next one opens there again. */
  @GuardedBy("lock")
  private boolean stayOnEndpoint;

  @GuardedBy("lock")
  private long streamId;

  /**
   * @param index this lane's number; it starts on the endpoint of that index
   * @param channels one per etcd endpoint, owned by the caller
   * @param token etcd's auth token when etcd wants a user and password
   * @param shedAfterNanos a renewal answered after waiting this long counts as slow
   * @param silent the members found silent, shared by every lane of the owner
   * @param memberDown called with a member that did not answer its status (never under a
   *     lane's lock): the owner moves every lane off it
   */
  KeepAliveLane(int index, List<ManagedChannel> channels, Optional<EtcdAuthToken> token,
      Duration timeout, long shedAfterNanos, SilentMembers silent, IntConsumer memberDown,
      FacadeMetrics metrics) {
    this.memberDown = memberDown;
    this.index = index;
    this.channels = channels;
    this.token = token;
    this.timeout = timeout;
    this.shedAfterNanos = shedAfterNanos;
    this.silent = silent;
    this.metrics = metrics;
    this.endpoint = index % channels.size(); // spread the lanes over the endpoints from the start
  }

  /**
   * Sends one renewal of {@code leaseId} on the current stream, opening one if there is none.
   * The answer is the lease's new TTL; it fails when the stream fails or after the timeout.
   */
  CompletableFuture<Long> send(long leaseId) {
    CompletableFuture<Long> answer = new CompletableFuture<>();
    long sentOn;
    synchronized (lock) {
      leaveIfOthersFoundItSilent();
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

  /** The renewals waiting on this lane now, for {@link HeartbeatShedding}. */
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
   * stream answered nothing else for as long, it is abandoned; if answers still come, etcd is
   * slow, not gone, and resetting the stream would only fail every renewal waiting on it,
   * exactly when etcd is busiest. Before the member is judged, it is asked for its status with a
   * quarter of the timeout: a follower whose stream hangs on a renewal it forwarded to a leader
   * that stopped still answers that, and a new stream there works as soon as a new leader is
   * elected; only a member that does not answer is avoided by every lane.
   */
  private void unanswered(long id) {
    int current;
    synchronized (lock) {
      if (id != streamId || requests == null) {
        return; // that stream is gone already
      }
      if (System.nanoTime() - lastAnsweredNanos < timeout.toNanos()) {
        return; // slow, not silent
      }
      current = endpoint;
    }
    // Every member is asked, not only this stream's: when a leader stops, the lanes idle on it
    // learn so from this check (at their next renewal), not from a renewal of their own that
    // waits a whole timeout there.
    for (int e = 0; e < channels.size(); e++) {
      int member = e;
      MaintenanceGrpc.MaintenanceFutureStub status = MaintenanceGrpc.newFutureStub(
          channels.get(member)).withDeadlineAfter(Math.max(1, timeout.toMillis() / 4),
              TimeUnit.MILLISECONDS);
      if (token.isPresent()) {
        status = status.withInterceptors(token.get().interceptor());
      }
      Futures.addCallback(status.status(StatusRequest.getDefaultInstance()),
          new FutureCallback<StatusResponse>() {
            @Override
            public void onSuccess(StatusResponse answer) {
              if (member == current) {
                abandon(id, true);
              }
            }

            @Override
            public void onFailure(Throwable error) {
              if (member == current) {
                abandon(id, false);
              } else {
                avoid(member);
              }
            }
          }, MoreExecutors.directExecutor());
    }
  }

  /** Every lane avoids {@code member} for a while (it did not answer its status). */
  private void avoid(int member) {
    if (silent.markSilent(member)) {
      log.warn("etcd endpoint {} does not answer its status: lanes avoid it for {}", member,
          Durations.format(silent.avoidedFor()));
      memberDown.accept(member);
    }
  }

  /**
   * {@code member} does not answer its status: if this lane's stream is there and another
   * member answers, its waiting renewals fail now (they would only time out) and its next stream
   * opens elsewhere. With nowhere else to go they stay: a lone member this busy is slow, and
   * answers them late rather than never.
   */
  void leaveIfOn(int member) {
    synchronized (lock) {
      if (requests != null && endpoint == member && silent.othersAnswering(member)) {
        failAll(streamId, new TimeoutException("etcd endpoint " + member
            + " does not answer its status"));
      }
    }
  }

  /** Ends stream {@code id}; a member that did not answer its status is avoided by every lane. */
  private void abandon(long id, boolean memberAnswers) {
    int down = -1;
    synchronized (lock) {
      if (id != streamId || requests == null) {
        return;
      }
      if (memberAnswers) {
        log.warn("etcd endpoint {} left a lease renewal unanswered for {} but answers its "
            + "status: lane {} opens a new stream there", endpoint,
            Durations.format(timeout), index);
        stayOnEndpoint = true;
      } else {
        down = endpoint;
        silent.markSilent(down);
        log.warn("etcd endpoint {} left a lease renewal unanswered for {}: moving lane {} off it",
            down, Durations.format(timeout), index);
      }
    }
    metrics.keepAliveStreamReset();
    failAll(id, new TimeoutException("etcd did not answer lease keep-alive within "
        + Durations.format(timeout)));
    if (down >= 0) {
      memberDown.accept(down);
    }
  }

  /**
   * Another lane found this lane's endpoint silent, and this stream answered nothing for a
   * quarter of the etcd timeout (nor has a renewal waiting for less): the renewals waiting on it
   * fail now (they would only time out) and the renewal being sent opens a stream on the next
   * endpoint. A lane that was idle on a member when it stopped, or that moved onto it a moment
   * before another lane marked it, so leaves it at its next renewal, not a whole timeout later.
   */
  @GuardedBy("lock")
  private void leaveIfOthersFoundItSilent() {
    long now = System.nanoTime();
    int current = endpoint;
    if (!silent.isAvoided(current) || !silent.othersAnswering(current)) {
      // Not silent, or no member to go to: renewals waiting here wait for their own timeout
      // (a lone member that is slow under load answers them; failing them cost nodes leases).
      return;
    }
    if (requests == null) {
      moveToNextEndpoint(); // no stream yet: the next one opens elsewhere
      return;
    }
    long quarter = timeout.toNanos() / 4;
    if (now - lastAnsweredNanos < quarter
        || !sentAt.isEmpty() && now - sentAt.peekFirst() < quarter) {
      return;
    }
    failAll(streamId, new TimeoutException("etcd endpoint " + current
        + " left lease renewals unanswered (found silent by another lane)"));
  }

  /** The next endpoint after the current one that is not being avoided. */
  @GuardedBy("lock")
  private void moveToNextEndpoint() {
    endpoint = silent.nextAnswering(endpoint + 1);
  }

  /** The channel of the endpoint this lane is on: its next stream opens there. */
  ManagedChannel currentChannel() {
    synchronized (lock) {
      return channels.get(endpoint);
    }
  }

  @GuardedBy("lock")
  private StreamObserver<LeaseKeepAliveRequest> stream() {
    if (requests == null) {
      long id = ++streamId;
      lastAnsweredNanos = System.nanoTime();
      ManagedChannel channel = channels.get(endpoint);
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
      if (sent != null && now - sent >= shedAfterNanos && !sentAt.isEmpty()) {
        slowSince = slowSince == 0 ? now : slowSince;
      } else {
        slowSince = 0; // a fast answer, or the queue drained: no queue stands
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
      // Detached first: the answers are handled on the transport thread (direct executor), so
      // ending a stream that never started can report its close back into this method at once;
      // that call must find the stream gone, not fail the same callers and move on twice.
      StreamObserver<LeaseKeepAliveRequest> ending = requests;
      requests = null;
      try {
        ending.onError(cause);
      } catch (RuntimeException ignored) {
        // the stream is already broken
      }
      if (Status.fromThrowable(cause).getCode() == Status.Code.UNAVAILABLE) {
        // The connection broke or was refused (a killed member): every lane's next stream
        // would meet the same, one heartbeat each, so they all stay off it for a while.
        int refused = endpoint;
        silent.markSilent(refused);
        log.warn("etcd endpoint {} refused lane {}'s keep-alive stream ({}): lanes avoid it for "
            + "{}", refused, index, cause.getMessage(), Durations.format(silent.avoidedFor()));
      }
      if (!stayOnEndpoint) {
        moveToNextEndpoint();
      }
      stayOnEndpoint = false;
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

  /** Ends the current stream; the channels are the owner's to shut down. */
  void close() {
    synchronized (lock) {
      if (requests != null) {
        requests.onCompleted();
        requests = null;
      }
    }
  }
}
