package io.gitstratum.coordinator.facade.write;

import io.github.resilience4j.core.IntervalFunction;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyView;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.FencedOutException;
import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.facade.core.LivenessOverlay;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.ErrorReason;
import io.gitstratum.coordinator.facade.errors.InvalidArgumentException;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.store.EtcdRefusal;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.lease.LeasePool;
import io.gitstratum.coordinator.facade.store.TopologyWrites;
import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.facade.store.TxnRefusedException;
import io.gitstratum.coordinator.facade.store.TxnSize;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * takes the pending commands, applies them one after another to the cached topology, and commits
 * them all as ONE compare-and-swap transaction on the version key (and on the liveness keys the
 * detector's decisions rest on, and the detector's election key: a deposed detector's decisions
 * fail with {@link FencedOutException}, the others in the batch go again). A batch closes
 * before the next command would take it past etcd's transaction limits ({@link TxnLimits}:
 * operations and request bytes, counted from what each command writes); the rest go first into
 * the next one. A transaction etcd refuses all the
 * same applied nothing: it is split in two and retried at once, never sent again as it was.
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

  /** Commands waiting for the writer; beyond it new ones are refused (WRITE_QUEUE_FULL). */
  public static final int DEFAULT_MAX_QUEUED = 10_000;

  private final TopologyCache cache;
  private final Clock clock;
  private final Duration timeout;
  private final FacadeMetrics metrics;
  private final int maxAttempts;
  private final EtcdTopologyStore store;
  // Writer thread only: lowered when etcd refuses a transaction for its size.
  private TxnLimits limits;
  private final TxnSize versionPut;
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
   * @param limits etcd's limits on one transaction, which every batch keeps to
   * @param clock the time each change is recorded at in the change history
   */
  public TopologyWriter(EtcdTopologyStore store, TopologyCache cache, Duration timeout,
      int maxAttempts, LeasePool aliveLeases, LeaseKeepAlives keepAlives, Duration graceTtl,
      int maxQueued, TxnLimits limits, Clock clock, FacadeMetrics metrics) {
    this.metrics = metrics;
    this.cache = cache;
    this.clock = clock;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.limits = limits;
    this.store = store;
    this.versionPut = TopologyWrites.versionPut(store.keys());
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
    // No command writes less than one key: a batch never takes more commands than operations.
    int drain = limits.maxOps();
    List<Pending<?>> batch = new ArrayList<>(drain);
    while (!closed) {
      try {
        if (deferred.isEmpty()) {
          Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
        } else {
          while (batch.size() < drain && !deferred.isEmpty()) {
            batch.add(deferred.pollFirst());
          }
        }
        queue.drainTo(batch, drain - batch.size());
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
      TopologyWrites topology = new TopologyWrites(store.keys());
      List<LivenessEffect> effects = new ArrayList<>();
      Set<LivenessGuard> guards = new LinkedHashSet<>();
      List<Decided> decided = new ArrayList<>(batch.size());
      TxnBudget budget = new TxnBudget(limits, store.baseTxnSize(), versionPut);
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
        TopologyWrites writes = encode(transition, pending.actor, draft);
        TxnSize size = writes.size().plus(store.sizeOf(
            LivenessWrites.plan(transition.effects()), transition.guards()));
        if (!budget.take(size, !writes.isEmpty())) {
          if (decided.isEmpty()) {
            pending.fail(tooLargeForOneTransaction(size)); // alone, it would never fit
            continue;
          }
          deferRest(batch, pending, it); // the next transaction takes them first
          break;
        }
        transition.updates().forEach(draft::apply);
        topology.addAll(writes);
        liveness.apply(transition.effects());
        effects.addAll(transition.effects());
        guards.addAll(transition.guards());
        decided.add(new Decided(pending, transition.response(), fenceOf(transition)));
      }
      if (decided.isEmpty()) {
        return;
      }
      cache.expect(topology.events());
      try {
        if (batches.commit(seen, topology, effects, guards)) {
          metrics.batch(decided.size());
          decided.forEach(Decided::complete);
          // After the answers: neither a log line nor a renewal is a reason for a caller to wait.
          topology.updates().forEach(TopologyWriter::logChange);
          batches.renewCommitted();
          return;
        }
        metrics.casConflict();
      } catch (UnavailableException e) {
        failAll(batch, e);
        return;
      } catch (ElectionMoved e) {
        // A deposed detector's decisions are refused for good; the rest of the batch (other
        // callers' commands, decisions under the current win) goes again at once without them.
        metrics.casConflict();
        decided.stream().filter(d -> d.fence != 0 && d.fence != e.createRevision)
            .forEach(d -> d.pending.fail(new FencedOutException(d.fence)));
        continue;
      } catch (TxnRefusedException e) {
        metrics.commitRefused(e.refusal().name().toLowerCase(Locale.ROOT));
        if (e.refusal().forSize() && decided.size() > 1) {
          // Halves are smaller transactions, so none is sent again as it was; and the limit
          // etcd showed holds for the batches after this one.
          limits = learned(e.refusal(), budget.used());
          splitBatch(batch, decided);
          attempt--; // a split is not a lost race
          continue;
        }
        if (e.refusal() != EtcdRefusal.LEASE_NOT_FOUND) {
          failAll(batch, new UnavailableException(ErrorReason.ETCD_UNAVAILABLE, e.getMessage()
              + "; nothing was written", e));
          return;
        }
        // A pooled lease ran out before the commit: the next attempt takes fresh ones.
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

  /** The second half of the decided commands (and every one after them) waits for the next. */
  private void splitBatch(List<Pending<?>> batch, List<Decided> decided) {
    Pending<?> firstOfSecondHalf = decided.get(decided.size() / 2).pending;
    int from = batch.indexOf(firstOfSecondHalf);
    List<Pending<?>> moved = new ArrayList<>(batch.subList(from, batch.size()));
    batch.subList(from, batch.size()).clear();
    for (int i = moved.size() - 1; i >= 0; i--) {
      deferred.addFirst(moved.get(i));
    }
  }

  /**
   * The limits after etcd refused a transaction of {@code refused} for its size: half of it in
   * the dimension etcd named. etcd's own flags are lower than this replica's, which says so once
   * per lowering.
   */
  private TxnLimits learned(EtcdRefusal refusal, TxnSize refused) {
    TxnLimits lowered = refusal == EtcdRefusal.TOO_MANY_OPS
        ? new TxnLimits(Math.max(TxnLimits.MIN_OPS, Math.min(limits.maxOps(), Math.max(
            refused.writes(), Math.max(refused.compares(), refused.reads())) / 2)),
            limits.maxBytes())
        : new TxnLimits(limits.maxOps(), Math.max(TxnLimits.MIN_BYTES,
            Math.min(limits.maxBytes(), refused.bytes() / 2)));
    log.warn("etcd refused a transaction of {} writes, {} compares and {} bytes ({}): split in "
        + "two, and later transactions keep to {} operations and {} bytes; set "
        + "--etcd-max-txn-ops/--etcd-max-txn-bytes to etcd's own --max-txn-ops and "
        + "--max-request-bytes", refused.writes(), refused.compares(), refused.bytes(), refusal,
        lowered.maxOps(), lowered.maxBytes());
    return lowered;
  }

  private InvalidArgumentException tooLargeForOneTransaction(TxnSize size) {
    return new InvalidArgumentException("request", "it writes " + size.writes()
        + " etcd operations and " + size.bytes() + " bytes, more than one transaction takes ("
        + limits.maxOps() + " operations, " + limits.maxBytes() + " bytes)");
  }

  /**
   * The topology writes of {@code transition}, each change with its history record: why, by
   * whom, and the node's state before it ({@code before}, then the transition's own earlier
   * changes).
   */
  private TopologyWrites encode(Transition<?> transition, String actor, TopologyView before) {
    TopologyWrites writes = new TopologyWrites(store.keys());
    if (transition.updates().isEmpty()) {
      return writes;
    }
    ChangeRecord why = ChangeRecord.newBuilder().setReason(transition.reason())
        .setActor(actor).setAt(clock.millis()).build();
    Map<String, NodeState> changed = new HashMap<>();
    for (TopologyUpdate update : transition.updates()) {
      String id = nodeId(update);
      NodeState previous = id == null ? null : changed.containsKey(id) ? changed.get(id)
          : before.node(id).map(NodeInfo::getState).orElse(null);
      writes.add(update, previous == null ? why : why.toBuilder().setPreviousState(previous)
          .build());
      if (id != null) {
        changed.put(id, update.hasNodeUpdated() ? update.getNodeUpdated().getState()
            : update.hasNodeAdded() ? update.getNodeAdded().getState() : null);
      }
    }
    return writes;
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

  /** The node an update changes; null for a ring change. */
  private static String nodeId(TopologyUpdate update) {
    return switch (update.getUpdateCase()) {
      case NODE_ADDED -> update.getNodeAdded().getId();
      case NODE_UPDATED -> update.getNodeUpdated().getId();
      case NODE_REMOVED -> update.getNodeRemoved();
      default -> null;
    };
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

  /** The election win a detector decision is fenced by; 0 for any other command. */
  private static long fenceOf(Transition<?> transition) {
    for (LivenessGuard guard : transition.guards()) {
      if (guard instanceof LivenessGuard.ElectionHeld held) {
        return held.createRevision();
      }
    }
    return 0;
  }

  /** @param fence the election win its transition is fenced by; 0: none */
  private record Decided(Pending<?> pending, Object response, long fence) {
    void complete() {
      pending.completeUnchecked(response);
    }
  }
}
