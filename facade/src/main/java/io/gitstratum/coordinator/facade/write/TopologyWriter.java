package io.gitstratum.coordinator.facade.write;

import io.github.resilience4j.core.IntervalFunction;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.Completions;
import io.gitstratum.coordinator.facade.core.ErrorReason;
import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.core.LivenessOverlay;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.core.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.store.CommitResult;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import io.gitstratum.coordinator.facade.store.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.store.LeasePool;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path, with group commit. Callers hand in commands; one writer thread per replica
 * takes every pending command (up to {@link #MAX_BATCH}), applies them one after another to the
 * cached topology, and commits them all as ONE compare-and-swap transaction on the version key.
 * Versions stay dense and each caller gets its own answer. A lost compare (another replica
 * wrote) waits for the cache to catch up and recomputes the batch, with bounded jittered retries.
 * A command that changes nothing writes nothing, after confirming with etcd that the cache was
 * current. A committed batch goes straight into this replica's cache before the callers get
 * their answers (read-your-writes without waiting for the watch to bring it back).
 *
 * <p>Thread-safe; {@link #execute} blocks the caller for a bounded time.
 */
public final class TopologyWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopologyWriter.class);

  /** Commands per transaction: at most 4 etcd operations each, under etcd's 128 per txn. */
  public static final int MAX_BATCH = 30;

  private final EtcdTopologyStore store;
  private final TopologyCache cache;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final int maxAttempts;
  private final IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(
      Duration.ofMillis(2), 2.0, 0.5, Duration.ofMillis(200));
  private final LeasePool aliveLeases;
  private final LeaseKeepAlives keepAlives;
  private final long graceTtlSeconds;
  private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean closed;

  /**
   * @param aliveLeases leases for nodes' alive keys (TTL: the suspect timeout), granted ahead
   * @param keepAlives renews a pooled lease to its full TTL once its alive key is written
   * @param graceTtl lease of a SUSPECT node's grace key: down minus suspect timeout
   */
  public TopologyWriter(EtcdTopologyStore store, TopologyCache cache, Duration timeout,
      int maxAttempts, LeasePool aliveLeases, LeaseKeepAlives keepAlives, Duration graceTtl,
      FacadeMetrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.cache = cache;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.aliveLeases = aliveLeases;
    this.keepAlives = keepAlives;
    this.graceTtlSeconds = graceTtl.toSeconds();
    this.writer = new Thread(this::run, "facade-writer");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  /**
   * Runs {@code command} against the current topology and makes its result durable in etcd.
   * Coordinator exceptions thrown by the command (bad state, type conflicts) reach the caller
   * unchanged and write nothing.
   */
  public <R> R execute(Command<R> command) {
    Pending<R> pending = enqueue(command);
    try {
      return Completions.join(bounded(pending));
    } finally {
      pending.answer().cancel(false); // a no-op once answered; an interrupted caller's is skipped
    }
  }

  /**
   * Like {@link #execute} without blocking: the answer completes once committed, or fails with
   * the command's own exception, or with UNAVAILABLE after the same bound.
   */
  public <R> CompletableFuture<R> submit(Command<R> command) {
    return bounded(enqueue(command));
  }

  /** The pending command's answer, failing with UNAVAILABLE when the bound passes first. */
  private <R> CompletableFuture<R> bounded(Pending<R> pending) {
    // Every attempt is bounded by the etcd timeout, plus waits for the cache.
    Duration bound = timeout.multipliedBy(2L * maxAttempts + 2);
    CompletableFuture<R> answer = pending.answer();
    answer.orTimeout(bound.toMillis(), TimeUnit.MILLISECONDS); // the writer skips it then
    return answer.handle((response, error) -> {
      if (error == null) {
        return response;
      }
      Throwable cause = Completions.cause(error);
      if (cause instanceof TimeoutException) {
        throw new UnavailableException("no commit within " + bound, cause);
      }
      throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
    });
  }

  private <R> Pending<R> enqueue(Command<R> command) {
    if (closed) {
      throw UnavailableException.shuttingDown();
    }
    Pending<R> pending = new Pending<>(command);
    queue.add(pending);
    return pending;
  }

  private void run() {
    List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
    while (!closed) {
      try {
        Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        commitBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("write batch failed unexpectedly", e);
        batch.forEach(p -> p.fail(e));
      } finally {
        batch.clear();
      }
    }
    Pending<?> left;
    while ((left = queue.poll()) != null) {
      left.fail(UnavailableException.shuttingDown());
    }
  }

  private void commitBatch(List<Pending<?>> batch) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      if (!cache.awaitSynced(timeout)) {
        failAll(batch, UnavailableException.notReady("the topology cache is not following etcd"));
        return;
      }
      TopologyCache.State seen = cache.state();
      Topology.Draft draft = seen.topology().draft();
      LivenessOverlay liveness = new LivenessOverlay(cache.liveness());
      List<TopologyUpdate> updates = new ArrayList<>();
      List<LivenessEffect> effects = new ArrayList<>();
      List<Decided> decided = new ArrayList<>(batch.size());
      for (Pending<?> pending : batch) {
        if (pending.isDone()) {
          continue;
        }
        Transition<?> transition;
        try {
          transition = pending.command.apply(draft, liveness);
        } catch (RuntimeException e) {
          pending.fail(e); // bad state, conflict or a bug: this caller only
          continue;
        }
        transition.updates().forEach(draft::apply);
        updates.addAll(transition.updates());
        liveness.apply(transition.effects());
        effects.addAll(transition.effects());
        decided.add(new Decided(pending, transition.response()));
      }
      if (decided.isEmpty()) {
        return;
      }
      try {
        if (commit(seen, updates, effects)) {
          metrics.batch(decided.size());
          updates.forEach(TopologyWriter::logChange);
          decided.forEach(Decided::complete);
          return;
        }
        metrics.casConflict();
      } catch (UnavailableException e) {
        failAll(batch, e);
        return;
      }
      if (attempt >= maxAttempts) {
        failAll(batch, new UnavailableException(ErrorReason.WRITE_CONTENTION,
            "topology is changing too fast: no commit after " + maxAttempts
                + " attempts; retry later", null));
        return;
      }
      Thread.sleep(backoff.apply(attempt));
    }
  }

  /**
   * Writes the batch if the version key is still the one {@code seen} was built on.
   *
   * @return false when another writer moved it first (the cache has caught up on return)
   */
  private boolean commit(TopologyCache.State seen, List<TopologyUpdate> updates,
      List<LivenessEffect> effects) throws InterruptedException {
    if (updates.isEmpty() && effects.isEmpty()) {
      // Nothing to write, but the answers must not come from a stale cache.
      long current = store.currentVersionRevision();
      if (current == seen.versionModRevision()) {
        return true;
      }
      cache.awaitVersionRevision(current, timeout);
      return false;
    }
    List<Long> leases = new ArrayList<>();
    List<KeyWrite> writes;
    CommitResult result;
    try {
      writes = keyWrites(effects, leases);
      result = store.commit(seen.versionModRevision(), updates, writes);
    } catch (RuntimeException e) {
      leases.forEach(store::revokeLeaseQuietly);
      throw e;
    }
    if (!result.committed()) {
      leases.forEach(store::revokeLeaseQuietly);
      cache.awaitVersionRevision(seen.versionModRevision() + 1, timeout);
      return false;
    }
    cache.applyCommitted(result.revision(), updates, writes);
    for (KeyWrite write : writes) {
      if (write instanceof KeyWrite.PutAlive alive) {
        // A pooled lease was granted a little earlier: its TTL counts from now on.
        keepAlives.keepAliveAsync(alive.lease());
      }
    }
    return true;
  }

  /** Turns liveness effects into key writes, with the leases they need (granted in parallel). */
  private List<KeyWrite> keyWrites(List<LivenessEffect> effects, List<Long> granted) {
    int attach = (int) effects.stream()
        .filter(LivenessEffect.AttachAlive.class::isInstance).count();
    Iterator<CompletableFuture<Long>> aliveGrants = aliveLeases.take(attach).iterator();
    List<CompletableFuture<Long>> grants = new ArrayList<>();
    for (LivenessEffect effect : effects) {
      if (effect instanceof LivenessEffect.AttachAlive) {
        grants.add(aliveGrants.next());
      } else if (effect instanceof LivenessEffect.StartGrace) {
        grants.add(store.grantLeaseAsync(graceTtlSeconds));
      }
    }
    List<Long> leases = store.awaitLeases(grants);
    granted.addAll(leases);
    List<KeyWrite> writes = new ArrayList<>(effects.size() + 1);
    int next = 0;
    for (LivenessEffect effect : effects) {
      String id = effect.nodeId();
      if (effect instanceof LivenessEffect.AttachAlive alive) {
        writes.add(new KeyWrite.PutAlive(id, alive.generation(), leases.get(next++)));
      } else if (effect instanceof LivenessEffect.StartGrace) {
        writes.add(new KeyWrite.PutGrace(id, leases.get(next++)));
      } else if (effect instanceof LivenessEffect.ClearGrace) {
        writes.add(new KeyWrite.DeleteGrace(id));
      } else {
        writes.add(new KeyWrite.DeleteAlive(id));
        writes.add(new KeyWrite.DeleteGrace(id));
      }
    }
    return writes;
  }

  /** One line per topology change, on the replica that wrote it. */
  private static void logChange(TopologyUpdate update) {
    switch (update.getUpdateCase()) {
      case NODE_ADDED -> log.info("topology v{}: node {} added ({}, {}:{})", update.getVersion(),
          update.getNodeAdded().getId(), update.getNodeAdded().getType(),
          update.getNodeAdded().getAddress(), update.getNodeAdded().getPort());
      case NODE_UPDATED -> log.info("topology v{}: node {} now {}", update.getVersion(),
          update.getNodeUpdated().getId(), update.getNodeUpdated().getState());
      case NODE_REMOVED -> log.info("topology v{}: node {} removed", update.getVersion(),
          update.getNodeRemoved());
      default -> log.info("topology v{}: {}", update.getVersion(), update.getUpdateCase());
    }
  }

  private static void failAll(List<Pending<?>> batch, RuntimeException error) {
    batch.forEach(p -> p.fail(error));
  }

  @Override
  public void close() {
    closed = true;
    writer.interrupt();
  }

  private record Decided(Pending<?> pending, Object response) {
    void complete() {
      pending.completeUnchecked(response);
    }
  }
}
