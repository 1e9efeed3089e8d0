package io.gitstratum.coordinator.facade.write;

import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.store.CommitCheck;
import io.gitstratum.coordinator.facade.store.CommitResult;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.lease.LeasePool;
import io.gitstratum.coordinator.facade.store.TopologyWrites;
import io.gitstratum.coordinator.facade.store.TxnRefusedException;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one batch of the group commit becomes durable in etcd: leases for the liveness keys it
 * attaches (alive keys from the pool, grace keys granted now), its compare-and-swap transaction,
 * what is done when the answer never comes (read etcd, send the same transaction again, revoke a
 * lease only when it is known to be attached to nothing), and, once committed, the batch in the
 * cache and its pooled leases renewed. Not thread-safe: made and owned by {@link TopologyWriter}
 * and used on its writer thread only.
 */
final class BatchCommit {
  private static final Logger log = LoggerFactory.getLogger(BatchCommit.class);

  /** Copies of a transaction sent again while its outcome stays unknown. */
  static final int UNKNOWN_RESENDS = 2;

  private final EtcdTopologyStore store;
  private final TopologyCache cache;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final LeasePool aliveLeases;
  private final LeaseKeepAlives keepAlives;
  private final long graceTtlSeconds;
  /** The liveness keys of the last committed batch, until {@link #renewCommitted}. */
  private List<KeyWrite> committed = List.of();

  /** Parameters as {@link TopologyWriter}'s, whose batches this commits. */
  BatchCommit(EtcdTopologyStore store, TopologyCache cache, Duration timeout,
      LeasePool aliveLeases, LeaseKeepAlives keepAlives, Duration graceTtl,
      FacadeMetrics metrics) {
    this.store = store;
    this.cache = cache;
    this.timeout = timeout;
    this.metrics = metrics;
    this.aliveLeases = aliveLeases;
    this.keepAlives = keepAlives;
    this.graceTtlSeconds = graceTtl.toSeconds();
  }

  /**
   * Writes the batch if the version key is still the one {@code seen} was built on and every
   * guard holds.
   *
   * @return false when it lost (the cache has caught up with why on return)
   * @throws UnavailableException when etcd could not be written, or its outcome is unknown
   * @throws TxnRefusedException when etcd refused it: nothing was applied, its leases are free
   * @throws ElectionMoved when a detector fence failed: nothing was applied, and the decisions
   *     fenced by any other win than the election key's current one never will be
   */
  boolean commit(TopologyCache.State seen, TopologyWrites topology, List<LivenessEffect> effects,
      Set<LivenessGuard> guards) throws InterruptedException {
    if (topology.isEmpty() && effects.isEmpty()) {
      // Nothing to write, but the answers must not come from a stale cache.
      long current = store.currentVersionRevision();
      if (current == seen.versionModRevision()) {
        return true;
      }
      cache.awaitVersionRevision(current, timeout);
      return false;
    }
    List<KeyWrite> planned = LivenessWrites.plan(effects);
    List<Long> leases = grantLeases(planned);
    List<KeyWrite> writes = LivenessWrites.withLeases(planned, leases);
    CommitResult result;
    try {
      result = store.commit(seen.versionModRevision(), topology, writes, guards);
    } catch (UnavailableException e) {
      return resolveUnknown(seen, topology, writes, guards, leases, e);
    } catch (TxnRefusedException e) {
      leases.forEach(store::revokeLeaseQuietly); // nothing was applied: nothing is attached
      throw e;
    }
    if (!result.committed()) {
      leases.forEach(store::revokeLeaseQuietly); // the compare failed: nothing was attached
      fenceCheck(result);
      cache.awaitVersionRevision(result.versionModRevision(), timeout);
      cache.awaitRevision(result.guardRevision(), timeout);
      return false;
    }
    applied(result.revision(), topology.updates(), writes);
    return true;
  }

  /**
   * The commit's answer never came: read etcd before doing anything else. Committed: as if the
   * answer had come. Not committed, and it can no longer be: its leases are free, retry.
   * Unknown while etcd answers the check: the same transaction is sent again, as it was (jetcd
   * takes another connection, likely to a member that answers); its compare lets at most one
   * copy apply, and a copy of a liveness-only batch writes the same keys with the same leases.
   * Still unknown after {@link #UNKNOWN_RESENDS} copies, or etcd unreachable: the callers get
   * UNAVAILABLE and the leases are left to expire by themselves, since they may be attached to
   * live nodes' keys.
   */
  private boolean resolveUnknown(TopologyCache.State seen, TopologyWrites topology,
      List<KeyWrite> writes, Set<LivenessGuard> guards, List<Long> leases,
      UnavailableException failure) throws InterruptedException {
    List<TopologyUpdate> updates = topology.updates();
    long expected = seen.versionModRevision();
    UnavailableException last = failure;
    for (int resent = 0; ; resent++) {
      CommitCheck check = store.checkCommitted(expected, topology, writes);
      metrics.unansweredCommit(check.outcome().name().toLowerCase(Locale.ROOT));
      log.warn("commit of {} changes and {} liveness keys unanswered ({}); etcd says: {}",
          updates.size(), writes.size(), last.getMessage(), check.outcome());
      if (check.outcome() == CommitCheck.Outcome.COMMITTED) {
        applied(check.revision(), updates, writes);
        return true;
      }
      if (check.outcome() == CommitCheck.Outcome.NOT_COMMITTED) {
        leases.forEach(store::revokeLeaseQuietly);
        return false;
      }
      // Attached or not, renewing costs nothing; if a copy landed, its pooled leases must not
      // run out while this goes on, nor before the nodes' first heartbeats.
      renewAliveLeases(writes);
      // A copy sent again can only help while etcd answers (a request held up on the way to
      // one member); when the check went unanswered too, give the answer now.
      if (resent == UNKNOWN_RESENDS || !check.etcdAnswered()) {
        throw new UnavailableException("etcd did not confirm the write within " + timeout
            + " and its outcome is not known yet; retrying is safe", last);
      }
      try {
        CommitResult again = store.commit(expected, topology, writes, guards);
        if (again.committed()) {
          applied(again.revision(), updates, writes);
          return true;
        }
        if (again.versionModRevision() == expected) {
          // A guard stopped this copy; an earlier one may still land, so nothing is revoked
          // (not even when the fence failed: an earlier copy fails the same fence).
          fenceCheck(again);
          cache.awaitRevision(again.guardRevision(), timeout);
          return false;
        }
        // The version moved: perhaps by an earlier copy of this very batch; the check tells.
      } catch (UnavailableException e) {
        last = e;
      } catch (TxnRefusedException e) {
        // This copy applied nothing; whether an earlier one did, the next check tells.
        last = new UnavailableException(e.getMessage(), e);
      }
    }
  }

  /** A lost commit whose detector fence failed is a known outcome: not leader any more. */
  private static void fenceCheck(CommitResult lost) {
    if (lost.fenced()) {
      throw new ElectionMoved(lost.electionNow());
    }
  }

  /**
   * A committed batch goes into the cache at once; its pooled leases get their full TTL from
   * {@link #renewCommitted}, once its callers have their answers.
   */
  private void applied(long revision, List<TopologyUpdate> updates, List<KeyWrite> writes) {
    cache.applyCommitted(revision, updates, writes);
    committed = writes;
  }

  /**
   * Renews the pooled leases of the batch {@link #commit} last wrote. Nobody waits for it (the
   * writes are done whatever its fate), so the writer calls it after answering the batch's
   * callers; a lease taken from the pool is at most a second old, so the moment changes nothing.
   */
  void renewCommitted() {
    List<KeyWrite> writes = committed;
    committed = List.of();
    renewAliveLeases(writes);
  }

  private void renewAliveLeases(List<KeyWrite> writes) {
    for (KeyWrite write : writes) {
      if (write instanceof KeyWrite.PutAlive alive) {
        // A pooled lease was granted a little earlier: its TTL counts from now on. Best
        // effort: the write is done whatever this renewal's fate.
        try {
          keepAlives.keepAliveAsync(alive.lease());
        } catch (RuntimeException e) {
          log.debug("renewing fresh lease {} failed: {}", alive.lease(), e.toString());
        }
      }
    }
  }

  /** Leases for the planned puts, in order (alive keys from the pool, grace keys granted now). */
  private List<Long> grantLeases(List<KeyWrite> planned) {
    int attach = (int) planned.stream().filter(KeyWrite.PutAlive.class::isInstance).count();
    Iterator<CompletableFuture<Long>> aliveGrants = aliveLeases.take(attach).iterator();
    List<CompletableFuture<Long>> grants = new ArrayList<>();
    for (KeyWrite write : planned) {
      if (write instanceof KeyWrite.PutAlive) {
        grants.add(aliveGrants.next());
      } else if (write instanceof KeyWrite.PutGrace) {
        grants.add(store.grantLeaseHedged(graceTtlSeconds)); // a detector decision waits on it
      }
    }
    return store.awaitLeases(grants);
  }
}
