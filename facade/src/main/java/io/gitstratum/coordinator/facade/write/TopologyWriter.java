package io.gitstratum.coordinator.facade.write;

import io.github.resilience4j.core.IntervalFunction;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyView;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.facade.core.LivenessOverlay;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.ErrorReason;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.store.LeasePool;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
 * takes every pending command (up to {@link #MAX_BATCH} and a byte budget), applies them one
 * after another to the cached topology, and commits them all as ONE compare-and-swap
 * transaction on the version key (and on the liveness keys the detector's decisions rest on).
 * Versions stay dense and each caller gets its own answer. A lost compare (another replica
 * wrote) waits for the cache to catch up and recomputes the batch, with bounded jittered
 * retries. A command that changes nothing writes nothing, after confirming with etcd that the
 * cache was current. A committed batch goes straight into this replica's cache before the
 * callers get their answers (read-your-writes without waiting for the watch to bring it back).
 *
 * <p>A commit whose answer never comes is not a failure yet: etcd may have applied it. The
 * writer reads etcd to find out and acts on what it finds; a lease is revoked only when it is
 * known not to be attached to anything, so a late commit never loses a node its alive key
 * ({@link BatchCommit} makes one batch durable).
 *
 * <p>The queue is bounded: when etcd falls behind, new commands are refused at once
 * (UNAVAILABLE with a retry delay) instead of piling up. A command whose caller has gone
 * (cancelled its answer, or its deadline passed) is dropped before it is sent. Thread-safe; no
 * caller thread waits on etcd.
 */
public final class TopologyWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopologyWriter.class);

  /** Commands per transaction: at most 4 etcd operations each, under etcd's 128 per txn. */
  public static final int MAX_BATCH = 30;

  /** Commands waiting for the writer; beyond it new ones are refused (WRITE_QUEUE_FULL). */
  public static final int DEFAULT_MAX_QUEUED = 10_000;

  /**
   * Estimated request bytes per transaction: well under etcd's default request limit of
   * 1.5 MiB ({@code --max-request-bytes}), so that a few large registrations cannot push one
   * transaction past it and fail the changes batched with them.
   */
  public static final long DEFAULT_MAX_TXN_BYTES = 1L << 20;

  private final TopologyCache cache;
  private final Clock clock;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final int maxAttempts;
  private final long maxTxnBytes;
  private final IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(
      Duration.ofMillis(2), 2.0, 0.5, Duration.ofMillis(200));
  private final BatchCommit batches;
  private final BlockingQueue<Pending<?>> queue;
  private final Thread writer;
  private volatile boolean closed;

  // Confined to the writer thread: commands that did not fit the last batch's byte budget.
  private final Deque<Pending<?>> deferred = new ArrayDeque<>();

  /**
   * @param aliveLeases leases for nodes' alive keys (TTL: the suspect timeout), granted ahead
   * @param keepAlives renews a pooled lease to its full TTL once its alive key is written
   * @param graceTtl lease of a SUSPECT node's grace key: down minus suspect timeout
   * @param maxQueued commands waiting at most; more are refused
   * @param maxTxnBytes estimated request bytes per transaction at most (one command always fits)
   * @param clock the time each change is recorded at in the change history
   */
  public TopologyWriter(EtcdTopologyStore store, TopologyCache cache, Duration timeout,
      int maxAttempts, LeasePool aliveLeases, LeaseKeepAlives keepAlives, Duration graceTtl,
      int maxQueued, long maxTxnBytes, Clock clock, FacadeMetrics metrics) {
    this.metrics = metrics;
    this.cache = cache;
    this.clock = clock;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.maxTxnBytes = maxTxnBytes;
    this.batches = new BatchCommit(store, cache, timeout, aliveLeases, keepAlives, graceTtl,
        metrics);
    this.queue = new LinkedBlockingQueue<>(maxQueued);
    this.writer = new Thread(this::run, "facade-writer");
    this.writer.setDaemon(true);
  }

  /** Starts the writer thread; commands submitted before wait for it. */
  public void start() {
    writer.start();
  }

  /**
   * Runs {@code command} against the current topology and makes its result durable in etcd,
   * blocking the calling thread (tests and tools; RPC handlers use {@link #submit}).
   * Coordinator exceptions thrown by the command (bad state, type conflicts) reach the caller
   * unchanged and write nothing.
   */
  public <R> R execute(String actor, Command<R> command) {
    CompletableFuture<R> answer = submit(actor, command);
    try {
      return Completions.join(answer);
    } finally {
      answer.cancel(false); // a no-op once answered; an interrupted caller's is dropped
    }
  }

  /**
   * Like {@link #execute} without blocking: the answer completes once committed, or fails with
   * the command's own exception, or with UNAVAILABLE after a bound. Cancelling the answer drops
   * the command unless it is already on its way to etcd.
   *
   * @param actor who asks, recorded in the change history: {@code node:<id>},
   *     {@code operator:<name>}, {@code detector:<replica>} or {@code ip:<address>}
   * @throws UnavailableException at once when the queue is full or the writer is closed
   */
  public <R> CompletableFuture<R> submit(String actor, Command<R> command) {
    Pending<R> pending = enqueue(actor, command);
    CompletableFuture<R> answer = bounded(pending);
    answer.whenComplete((response, error) -> {
      if (answer.isCancelled()) {
        pending.answer().cancel(false);
      }
    });
    return answer;
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

  private <R> Pending<R> enqueue(String actor, Command<R> command) {
    if (closed) {
      throw UnavailableException.shuttingDown();
    }
    Pending<R> pending = new Pending<>(actor, command);
    if (!queue.offer(pending)) {
      metrics.writeRefused();
      throw UnavailableException.writeQueueFull(queue.size());
    }
    return pending;
  }

  private void run() {
    List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
    while (!closed) {
      try {
        if (deferred.isEmpty()) {
          Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
        } else {
          while (batch.size() < MAX_BATCH && !deferred.isEmpty()) {
            batch.add(deferred.pollFirst());
          }
        }
        queue.drainTo(batch, MAX_BATCH - batch.size());
        commitBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failAll(batch, UnavailableException.shuttingDown());
        break;
      } catch (RuntimeException e) {
        log.error("write batch failed unexpectedly", e);
        batch.forEach(p -> p.fail(e));
      } finally {
        batch.clear();
      }
    }
    Pending<?> left;
    while ((left = deferred.poll()) != null || (left = queue.poll()) != null) {
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
      List<ChangeRecord> history = new ArrayList<>();
      List<LivenessEffect> effects = new ArrayList<>();
      Set<LivenessGuard> guards = new LinkedHashSet<>();
      List<Decided> decided = new ArrayList<>(batch.size());
      long bytes = 0;
      for (Iterator<Pending<?>> it = batch.iterator(); it.hasNext(); ) {
        Pending<?> pending = it.next();
        if (pending.isDone()) {
          continue; // answered, timed out, or its caller gave up: never sent
        }
        Transition<?> transition;
        try {
          transition = pending.command.apply(draft, liveness);
        } catch (RuntimeException e) {
          pending.fail(e); // bad state, conflict or a bug: this caller only
          continue;
        }
        long size = estimatedBytes(transition);
        if (!decided.isEmpty() && bytes + size > maxTxnBytes) {
          deferRest(batch, pending, it); // the next transaction takes them first
          break;
        }
        bytes += size;
        ChangeRecord why = ChangeRecord.newBuilder().setReason(transition.reason())
            .setActor(pending.actor).setAt(clock.millis()).build();
        for (TopologyUpdate update : transition.updates()) {
          history.add(withPreviousState(why, draft, update));
          draft.apply(update);
        }
        updates.addAll(transition.updates());
        liveness.apply(transition.effects());
        effects.addAll(transition.effects());
        guards.addAll(transition.guards());
        decided.add(new Decided(pending, transition.response()));
      }
      if (decided.isEmpty()) {
        return;
      }
      try {
        if (batches.commit(seen, updates, history, effects, guards)) {
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

  /** Moves {@code first} and every command after it from the batch to the deferred queue. */
  private void deferRest(List<Pending<?>> batch, Pending<?> first, Iterator<Pending<?>> rest) {
    List<Pending<?>> moved = new ArrayList<>();
    moved.add(first);
    rest.forEachRemaining(moved::add);
    batch.removeAll(moved);
    for (int i = moved.size() - 1; i >= 0; i--) {
      deferred.addFirst(moved.get(i));
    }
  }

  /**
   * Request bytes a transition adds to a transaction, from the protobuf size: each change is
   * written twice (node record and event) as protobuf JSON, which is larger than the binary
   * form; a liveness key is a short key and value.
   */
  static long estimatedBytes(Transition<?> transition) {
    long bytes = 0;
    for (TopologyUpdate update : transition.updates()) {
      bytes += 2L * (2L * update.getSerializedSize() + 512);
    }
    return bytes + 256L * (transition.effects().size() + transition.guards().size());
  }

  /** {@code why} for one update, with the node's state before it as {@code before} has it. */
  private static ChangeRecord withPreviousState(ChangeRecord why, TopologyView before,
      TopologyUpdate update) {
    String nodeId = switch (update.getUpdateCase()) {
      case NODE_UPDATED -> update.getNodeUpdated().getId();
      case NODE_REMOVED -> update.getNodeRemoved();
      default -> null; // an addition or a ring change: no earlier state
    };
    return nodeId == null ? why : before.node(nodeId)
        .map(node -> why.toBuilder().setPreviousState(node.getState()).build()).orElse(why);
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
    // Unanswered commands only: after a commit, the batch's callers have their answers.
    batch.forEach(p -> p.fail(error));
  }

  @Override
  public void close() {
    closed = true;
    writer.interrupt();
    if (!writer.isAlive()) {
      Pending<?> left;
      while ((left = queue.poll()) != null) {
        left.fail(UnavailableException.shuttingDown());
      }
    }
  }

  private record Decided(Pending<?> pending, Object response) {
    void complete() {
      pending.completeUnchecked(response);
    }
  }
}
