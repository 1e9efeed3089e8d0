package io.gitstratum.coordinator.facade.heartbeat;

import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.HeartbeatOutcome;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.core.RequestValidator;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.errors.ErrorReason;
import io.gitstratum.coordinator.facade.errors.GenerationMismatchException;
import io.gitstratum.coordinator.facade.errors.NodeNotFoundException;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.guard.ClientIdentity;
import io.gitstratum.coordinator.facade.leader.Leadership;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * The heartbeat path. The common case (nothing changes, the lease is alive) costs one lease
 * keep-alive on the shared stream and no write; only a real transition or a lapsed lease goes
 * through the write path as one transaction. Thread-safe.
 */
@Singleton
public final class HeartbeatHandler {
  private final TopologyCache cache;
  private final TopologyWriter writer;
  private final EtcdTopologyStore store;
  private final LeaseKeepAlives keepAlives;
  private final Leadership leadership;
  private final Clock clock;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final HeartbeatResponse.Builder advice;

  @Inject
  public HeartbeatHandler(TopologyCache cache, TopologyWriter writer, EtcdTopologyStore store,
      LeaseKeepAlives keepAlives, Leadership leadership, Clock clock, EtcdSettings etcd,
      LivenessSettings liveness, FacadeMetrics metrics) {
    this.metrics = metrics;
    this.cache = cache;
    this.writer = writer;
    this.store = store;
    this.keepAlives = keepAlives;
    this.leadership = leadership;
    this.clock = clock;
    this.timeout = etcd.timeout();
    this.advice = HeartbeatResponse.newBuilder()
        .setHeartbeatIntervalMs(liveness.heartbeatInterval().toMillis())
        .setSuspectTimeoutMs(liveness.suspectTimeout().toMillis())
        .setDownTimeoutMs(liveness.downTimeout().toMillis());
  }

  /**
   * Answers a heartbeat without holding a thread while etcd works: the common case is one lease
   * renewal; a state change (after the renewal), or a lease etcd says is gone, goes through the
   * write path.
   */
  public CompletableFuture<HeartbeatResponse> heartbeat(HeartbeatRequest request) {
    RequestValidator.heartbeat(request);
    // Taken now: the continuations below run outside the call's context.
    String actor = ClientIdentity.current().actor();
    return decide(request).thenCompose(decided -> renewOrWrite(request, actor, decided));
  }

  private CompletableFuture<HeartbeatResponse> renewOrWrite(HeartbeatRequest request,
      String actor, Transition<HeartbeatOutcome> decided) {
    OptionalLong lease = cache.aliveLease(request.getNodeId());
    CompletableFuture<HeartbeatOutcome> outcome;
    if (lease.isPresent()) {
      // Every heartbeat renews the lease, a state change too (JOINING->ACTIVE): the lease may
      // be one the writer attached but could not renew (its commit went unanswered).
      outcome = keepAlives.heartbeatAsync(lease.getAsLong()).thenCompose(ttl -> {
        if (ttl <= 0) {
          return write(request, actor, true); // the lease expired since the cache heard of it
        }
        if (decided.changes()) {
          return write(request, actor, false);
        }
        metrics.heartbeat(false);
        return CompletableFuture.completedFuture(decided.response());
      });
    } else {
      outcome = write(request, actor, !decided.changes());
    }
    return outcome.thenApply(written -> respond(request, written));
  }

  private CompletableFuture<HeartbeatOutcome> write(HeartbeatRequest request, String actor,
      boolean leaseGone) {
    return writer.submit(actor, (view, liveness) -> TopologyTransitions.heartbeat(view,
        leaseGone ? withoutAlive(liveness, request.getNodeId()) : liveness, request,
        clock.millis()))
        .thenApply(written -> {
          metrics.heartbeat(true);
          return written;
        });
  }

  private HeartbeatResponse respond(HeartbeatRequest request, HeartbeatOutcome outcome) {
    long current = Math.max(outcome.version(), cache.state().topology().version());
    HeartbeatResponse.Builder response = advice.clone()
        .setCurrentVersion(current)
        .setRefreshRequired(Long.compareUnsigned(request.getKnownVersion(), current) < 0)
        .setRaftTerm(cache.state().raftTerm());
    leadership.leader().ifPresent(l ->
        response.setLeaderId(l.replicaId()).setLeaderAddress(l.address()));
    return response.build();
  }

  /**
   * The transition on this replica's cache. An unknown node or another generation may only mean
   * that the cache has not seen a registration made through another replica yet: confirm with
   * etcd (without holding a thread) before answering NOT_FOUND or FAILED_PRECONDITION.
   */
  private CompletableFuture<Transition<HeartbeatOutcome>> decide(HeartbeatRequest request) {
    try {
      return CompletableFuture.completedFuture(onCache(request));
    } catch (NodeNotFoundException | GenerationMismatchException e) {
      return store.currentVersionRevisionAsync()
          .thenCompose(current -> cache.whenVersionRevision(current, timeout)
              .exceptionally(timedOut -> {
                throw new UnavailableException(ErrorReason.REPLICA_NOT_READY,
                    "the topology cache is behind etcd", e);
              }))
          .thenApply(caughtUp -> onCache(request));
    }
  }

  private Transition<HeartbeatOutcome> onCache(HeartbeatRequest request) {
    return TopologyTransitions.heartbeat(cache.state().topology(), cache.liveness(), request,
        clock.millis());
  }

  /** {@code known}, except that the node's alive key is gone: etcd said its lease expired. */
  private static LivenessView withoutAlive(LivenessView known, String nodeId) {
    return new LivenessView() {
      @Override
      public boolean hasAlive(String id) {
        return !id.equals(nodeId) && known.hasAlive(id);
      }

      @Override
      public boolean hasGrace(String id) {
        return known.hasGrace(id);
      }

      @Override
      public boolean isDrained(String id) {
        return known.isDrained(id);
      }
    };
  }
}
