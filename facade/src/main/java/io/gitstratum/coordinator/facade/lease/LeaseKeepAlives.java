package io.gitstratum.coordinator.facade.lease;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.metrics.LogThrottle;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.gitstratum.coordinator.facade.etcd.EtcdAuthToken;
import io.gitstratum.coordinator.facade.etcd.SilentMembers;

/**
 * Renews node leases over a few long-lived LeaseKeepAlive streams per replica (each lease always
 * on the same one), so that a heartbeat costs exactly one etcd request (jetcd's keepAliveOnce
 * opens a stream per call and sends each request twice). etcd answers the requests of one stream
 * one after another; responses are matched to waiting callers by lease id.
 *
 * <p>Why more than one stream: etcd serves a stream's requests strictly in turn, and a renewal
 * of a lease that has just expired waits until etcd has revoked it; with writes going on, one
 * stream also tops out at a few thousand renewals a second. {@link #LANES} streams (each a
 * {@link KeepAliveLane}) let etcd work on several at once and keep one slow lease from holding
 * up every node.
 *
 * <p>On a stream failure every caller waiting on it fails (UNAVAILABLE, safe to retry) and the
 * next call opens a new stream on the next endpoint. A stream whose renewal goes unanswered for
 * the etcd timeout counts as failed too: an etcd member whose network silently drops packets
 * leaves its connections open, and TCP keepalive would notice only much later. Its endpoint is
 * then avoided by every lane (and by the writer's commits) for a while
 * ({@link SilentMembers}), so a black-holed member costs a
 * node at most one unanswered renewal per replica. With etcd auth, each stream carries the auth
 * token; one etcd rejected is fetched again for the next stream. Thread-safe; owns its channels
 * and its lanes.
 */
public final class LeaseKeepAlives implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeepAlives.class);

  /** Streams per replica. */
  static final int LANES = 4;

  /** At most one log line about refused heartbeats this often. */
  static final Duration SHED_LOG_INTERVAL = Duration.ofSeconds(10);

  /** When a node whose heartbeat was shed should try again (here, or at once elsewhere). */
  static final Duration RETRY_AFTER_SHED = Duration.ofSeconds(1);

  private final List<ManagedChannel> channels;
  private final Optional<EtcdAuthToken> token;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final KeepAliveLane[] lanes = new KeepAliveLane[LANES];
  /**
   * The replicas' session leases (the detector election) have a stream of their own: etcd
   * serves a stream's renewals in turn, so on a shared lane a heartbeat storm would queue the
   * session's renewal behind thousands of nodes' and let it lapse while the replica still leads.
   */
  private final KeepAliveLane sessionLane;
  private final HeartbeatShedding shedding;
  /**
   * Per lease this replica renewed: {@code System.nanoTime()} by which it expires at the
   * earliest (the last answered renewal's send time plus its TTL). Entries outlive no lease.
   */
  private final Cache<Long, Long> renewedUntil;
  private final LogThrottle shedLog = new LogThrottle(SHED_LOG_INTERVAL);

  /**
   * @param channels one per etcd endpoint (see {@link EtcdConnector#channels()}); owned from now
   * @param token etcd's auth token when etcd wants a user and password
   */
  public LeaseKeepAlives(List<ManagedChannel> channels, Optional<EtcdAuthToken> token,
      Duration timeout, FacadeMetrics metrics) {
    this(channels, token, timeout, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(1),
        new SilentMembers(channels.size(), timeout), metrics);
  }

  /**
   * @param shedAfter how long renewals must keep waiting before {@link #heartbeatAsync} refuses
   *     heartbeats (see {@link HeartbeatShedding}; zero: never)
   * @param nodeLeaseTtl the TTL of node leases (the suspect timeout)
   * @param heartbeatInterval the interval nodes are advised: a heartbeat is refused only while
   *     its lease would outlast the node's next one by an etcd timeout, and has more than half
   *     of {@code nodeLeaseTtl} left
   * @param silent the members this replica found silent, shared with its other etcd calls
   */
  public LeaseKeepAlives(List<ManagedChannel> channels, Optional<EtcdAuthToken> token,
      Duration timeout, Duration shedAfter, Duration nodeLeaseTtl, Duration heartbeatInterval,
      SilentMembers silent, FacadeMetrics metrics) {
    // A refused node keeps more than half its lease too: the client library retries a refused
    // heartbeat at once only past that, so refusals are never met by immediate retries.
    Duration spare = heartbeatInterval.plus(timeout);
    Duration half = nodeLeaseTtl.dividedBy(2);
    this.shedding = new HeartbeatShedding(shedAfter.toNanos(), timeout.toNanos(),
        (spare.compareTo(half) > 0 ? spare : half).toNanos());
    this.renewedUntil = CacheBuilder.newBuilder().expireAfterWrite(nodeLeaseTtl).build();
    this.metrics = metrics;
    this.channels = List.copyOf(channels);
    this.token = token;
    this.timeout = timeout;
    for (int i = 0; i < LANES; i++) {
      lanes[i] = new KeepAliveLane(i, this.channels, token, timeout, shedding.shedAfterNanos(),
          silent, this::leaveMember, metrics);
    }
    this.sessionLane = new KeepAliveLane(LANES, this.channels, token, timeout,
        shedding.shedAfterNanos(), silent, this::leaveMember, metrics);
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
   * Renews a replica's session lease once, as {@link #keepAliveAsync}, on the session's own
   * stream: never behind node heartbeats, and never refused for their backlog.
   */
  public CompletableFuture<Long> sessionKeepAliveAsync(long leaseId) {
    return send(sessionLane, leaseId);
  }

  /**
   * A node's heartbeat renewal: as {@link #keepAliveAsync}, but refused at once, with nothing
   * sent, when its stream is past what etcd keeps up with and its lease can afford to wait
   * ({@link HeartbeatShedding}): past the replica's capacity, refusing the excess early keeps
   * the accepted heartbeats fast instead of letting every one of them queue until they all time
   * out, and the leases closest to their end are the ones renewed.
   *
   * @throws UnavailableException {@code REPLICA_OVERLOADED}, with a retry delay
   */
  public CompletableFuture<Long> heartbeatAsync(long leaseId) {
    KeepAliveLane lane = laneOf(leaseId);
    if (shedding.shedAfterNanos() > 0) {
      HeartbeatShedding.Backlog backlog = lane.backlog();
      if (shedding.refuse(backlog, leaseLeftNanos(leaseId))) {
        long waited = backlog.oldestWaitNanos();
        metrics.heartbeatShed();
        logShedding(waited);
        throw UnavailableException.overloaded(Duration.ofNanos(waited), RETRY_AFTER_SHED);
      }
    }
    return send(lane, leaseId);
  }

  /** How long {@code leaseId} has left at least, from its last renewal here; 0: not known. */
  private long leaseLeftNanos(long leaseId) {
    Long until = renewedUntil.getIfPresent(leaseId);
    return until == null ? 0 : Math.max(0, until - System.nanoTime());
  }

  /** One line per {@link #SHED_LOG_INTERVAL} at most, with the heartbeats refused meanwhile. */
  private void logShedding(long waitedNanos) {
    shedLog.log("shed", held -> log.warn("refusing heartbeats: lease renewals wait {} ms for "
        + "etcd; {} refused since the last such line (only leases that outlast the nodes' next "
        + "heartbeat)",
        waitedNanos / 1_000_000, held + 1));
  }

  /** A member did not answer its status: every lane on it moves off at once. */
  private void leaveMember(int member) {
    for (KeepAliveLane lane : lanes) {
      lane.leaveIfOn(member);
    }
    sessionLane.leaveIfOn(member);
  }

  private KeepAliveLane laneOf(long leaseId) {
    return lanes[Math.floorMod(Long.hashCode(leaseId * 0x9E3779B97F4A7C15L), LANES)];
  }

  private CompletableFuture<Long> send(KeepAliveLane lane, long leaseId) {
    long start = System.nanoTime();
    // Without a token, the renewal waits for the Authenticate in flight (never this thread).
    CompletableFuture<Long> sent = token.isEmpty() ? lane.send(leaseId)
        : token.get().ready(lane.currentChannel()).thenCompose(ready -> lane.send(leaseId));
    return sent
        .handle((ttl, error) -> {
          metrics.etcdDone("lease keep-alive", start, error == null);
          if (error == null) {
            remember(leaseId, start, ttl);
            return ttl;
          }
          Throwable cause = Completions.cause(error);
          if (cause instanceof UnavailableException said) {
            throw said; // the Authenticate before it failed, and says how
          }
          throw cause instanceof TimeoutException
              ? new UnavailableException("etcd did not answer lease keep-alive within "
                  + timeout, cause)
              : new UnavailableException("etcd lease keep-alive failed: " + cause, cause);
        });
  }

  /** etcd renewed the lease after {@code sentNanos}: it lasts its TTL from then at least. */
  private void remember(long leaseId, long sentNanos, long ttlSeconds) {
    if (shedding.shedAfterNanos() <= 0) {
      return;
    }
    if (ttlSeconds > 0) {
      renewedUntil.put(leaseId, sentNanos + TimeUnit.SECONDS.toNanos(ttlSeconds));
    } else {
      renewedUntil.invalidate(leaseId);
    }
  }

  @Override
  public void close() {
    for (KeepAliveLane lane : lanes) {
      lane.close();
    }
    sessionLane.close();
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
