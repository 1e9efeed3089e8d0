package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.compat.SchemaCompatibility;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.schema.records.SchemaRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import io.gitstratum.coordinator.facade.etcd.Deadlines;

/**
 * The topology in etcd: the only class that speaks jetcd's KV and Watch APIs for it (with its
 * package-private parts: {@link PagedRange}, {@link SnapshotRead}). Every call has the
 * configured deadline and fails with {@code UnavailableException}. Thread-safe.
 */
public final class EtcdTopologyStore implements AutoCloseable {
  private final FreshReads<Long> versionRevisions = new FreshReads<>(() -> readVersionKey()
      .thenApply(kvp -> kvp.map(KeyValue::getModRevision).orElse(0L)));
  private final KV kv;
  private final MemberRoutes routes;
  private final Watch watch;
  private final Lease lease;
  private final Keyspace keys;
  private final Duration timeout;
  private final HedgePolicy hedging;
  private final PagedRange pages;
  private final SnapshotRead snapshots;
  private final FacadeMetrics metrics;

  /** A page of a paged read: a quarter of the default 16 MiB response limit. */
  public static final long DEFAULT_PAGE_BYTES = 4L << 20;

  public EtcdTopologyStore(Client client, Keyspace keys, Duration timeout,
      FacadeMetrics metrics) {
    this(client, keys, timeout, DEFAULT_PAGE_BYTES, metrics);
  }

  /**
   * @param pageBytes about how many bytes one page of a read that grows with the cluster holds
   *     (start-up load, resync, event replay): no etcd response is much larger, whatever the
   *     cluster's size
   */
  public EtcdTopologyStore(Client client, Keyspace keys, Duration timeout, long pageBytes,
      FacadeMetrics metrics) {
    this(client, MemberRoutes.none(), keys, timeout, pageBytes, metrics);
  }

  /**
   * @param routes which member each topology commit and each copy of a hedged read goes to
   *     (several endpoints)
   */
  public EtcdTopologyStore(Client client, MemberRoutes routes, Keyspace keys, Duration timeout,
      long pageBytes, FacadeMetrics metrics) {
    this.routes = routes;
    this.metrics = metrics;
    this.kv = client.getKVClient();
    this.watch = client.getWatchClient();
    this.lease = client.getLeaseClient();
    this.keys = keys;
    this.timeout = timeout;
    this.hedging = new HedgePolicy(timeout);
    this.pages = new PagedRange(kv, pageBytes, this::await);
    this.snapshots = new SnapshotRead(kv, keys, pages, this::await);
  }

  public Keyspace keys() {
    return keys;
  }

  /**
   * Writes the schema marker and the ring configuration on an empty prefix, or checks the marker
   * that is there; one transaction, so two facades starting together agree.
   *
   * @throws io.gitstratum.coordinator.schema.compat.IncompatibleSchemaException for a newer schema
   */
  public void bootstrap(String replicaId, HashRingConfig defaultRing, long nowMs) {
    ByteSequence schemaKey = bytes(keys.schema());
    SchemaRecord marker = SchemaRecord.newBuilder()
        .setSchemaVersion(SchemaCompatibility.CURRENT_VERSION)
        .setWrittenBy(replicaId)
        .setWrittenAt(nowMs)
        .build();
    TxnResponse response = await(kv.txn()
        .If(new Cmp(schemaKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(schemaKey, bytes(RecordCodec.encode(marker)), PutOption.DEFAULT))
        .Else(Op.get(schemaKey, GetOption.DEFAULT))
        .commit(), "schema check");
    Optional<SchemaRecord> found = response.isSucceeded() ? Optional.empty()
        : response.getGetResponses().get(0).getKvs().stream().findFirst()
            .map(kvp -> RecordCodec.decodeSchema(keys.schema(), kvp.getValue().getBytes()));
    SchemaCompatibility.check(keys.prefix(), found);

    ByteSequence ringKey = bytes(keys.ringConfig());
    await(kv.txn()
        .If(new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(ringKey, bytes(RecordCodec.encode(defaultRing)), PutOption.DEFAULT))
        .commit(), "ring config bootstrap");
  }

  /**
   * Reads version, ring configuration, every node and the liveness keys at one revision: one
   * transaction with the first page of each collection (all of a small cluster), then, for a
   * collection with more, further pages at that transaction's revision, so a write landing
   * between two pages is neither lost nor seen twice (the watch starts after it).
   *
   * @throws io.gitstratum.coordinator.facade.errors.UnavailableException when etcd fails, or
   *     compacts that revision before the last page (read again)
   */
  public StoreSnapshot read() {
    return snapshots.read();
  }

  /**
   * The version key's mod revision as etcd holds it now (a linearizable read): a cache that has
   * seen this revision has every committed topology change.
   */
  public long currentVersionRevision() {
    return Completions.join(currentVersionRevisionAsync());
  }

  /**
   * As {@link #currentVersionRevision}, without waiting. Callers asking at the same time share
   * one read that started after they asked ({@link FreshReads}).
   */
  public CompletableFuture<Long> currentVersionRevisionAsync() {
    // Each caller waits one etcd timeout at most: one that joins a shared read waits for the
    // next, which alone could take two, past a client's deadline (which then cannot tell an
    // etcd without quorum from a dead replica) and past the cache check's interval.
    return Deadlines.bound(versionRevisions.get().copy(), timeout, "version read");
  }

  /** etcd's current topology version (a linearizable read); 0 before the first change. */
  public long currentVersion() {
    return Completions.join(readVersionKey().thenApply(kvp -> kvp
        .map(v -> RecordCodec.decodeVersion(keys.version(), v.getValue().getBytes()))
        .orElse(0L)));
  }

  private CompletableFuture<Optional<KeyValue>> readVersionKey() {
    long start = System.nanoTime();
    return Deadlines.bound(HedgedCall.send(
            () -> kv().get(bytes(keys.version()), GetOption.DEFAULT), hedging), timeout,
            "version read")
        .whenComplete((response, error) -> metrics.etcdDone("version read", start, error == null))
        .thenApply(response -> response.getKvs().stream().findFirst());
  }

  /**
   * The change events after {@code afterVersion} up to {@code upToVersion} from the event log,
   * or empty when the log no longer holds all of them (trimmed) or they are more than
   * {@code limit}.
   */
  public Optional<List<TopologyUpdate>> readEvents(long afterVersion, long upToVersion, int limit) {
    if (upToVersion <= afterVersion) {
      return Optional.of(List.of());
    }
    if (upToVersion - afterVersion > limit) {
      return Optional.empty();
    }
    // An unbroken run that ends at upToVersion and starts right after afterVersion is exactly
    // the events in between.
    return readEventTail(afterVersion, upToVersion)
        .filter(events -> events.get(0).getPreviousVersion() == afterVersion);
  }

  /**
   * The newest unbroken run of change events ending at {@code upToVersion}, starting after
   * {@code afterVersion} or later (the log may have been trimmed since), in pages; empty when
   * the log does not hold {@code upToVersion}.
   */
  public Optional<List<TopologyUpdate>> readEventTail(long afterVersion, long upToVersion) {
    List<TopologyUpdate> events = new ArrayList<>();
    pages.scan(bytes(keys.event(afterVersion + 1)), bytes(keys.event(upToVersion + 1)), 0, false,
        kvp -> {
          TopologyUpdate update = RecordCodec.decodeUpdate(
              kvp.getKey().toString(StandardCharsets.UTF_8), kvp.getValue().getBytes());
          if (!events.isEmpty()
              && events.get(events.size() - 1).getVersion() != update.getPreviousVersion()) {
            events.clear(); // a hole: only what follows it can be replayed
          }
          events.add(update);
        });
    return events.isEmpty() || events.get(events.size() - 1).getVersion() != upToVersion
        ? Optional.empty() : Optional.of(events);
  }

  /**
   * Commits change events as one transaction: if the version key still has
   * {@code expectedVersionModRevision} and every guarded liveness key is as the guard says,
   * write each event with its history record, the node records it changes, the liveness keys,
   * and the new version (only when there are events). Events must be consecutive; each key may
   * be written once.
   *
   * @param history why each event happened, in the same order (empty: no history written)
   *
   * @throws io.gitstratum.coordinator.facade.errors.UnavailableException when etcd did not answer:
   *     the transaction may still have been applied ({@link #checkCommitted} tells)
   */
  public CommitResult commit(long expectedVersionModRevision, List<TopologyUpdate> updates,
      List<ChangeRecord> history, List<KeyWrite> keyWrites, Collection<LivenessGuard> guards) {
    return commit(expectedVersionModRevision, TopologyWrites.of(keys, updates, history),
        keyWrites, guards);
  }

  /**
   * As above, with the changes already encoded.
   *
   * @throws TxnRefusedException when etcd refused the transaction: nothing of it was applied
   */
  public CommitResult commit(long expectedVersionModRevision, TopologyWrites topology,
      List<KeyWrite> keyWrites, Collection<LivenessGuard> guards) {
    if (topology.isEmpty() && keyWrites.isEmpty()) {
      throw new IllegalArgumentException("nothing to commit");
    }
    CommitTransaction txn = new CommitTransaction(keys, expectedVersionModRevision, topology,
        keyWrites, guards);
    Optional<MemberRoutes.Route> route = routes.pick();
    try {
      return txn.result(await(route.map(MemberRoutes.Route::kv).orElse(kv).txn()
          .If(txn.compares())
          .Then(txn.writes())
          .Else(txn.readsOnLost())
          .commit(), "topology commit"));
    } catch (UnavailableException e) {
      Optional<EtcdRefusal> refusal = EtcdRefusal.of(e.getCause());
      if (refusal.isPresent()) {
        throw new TxnRefusedException(refusal.get(), e.getCause());
      }
      route.ifPresent(r -> routes.unanswered(r, e.getMessage()));
      throw e;
    }
  }

  /** What liveness writes and guards add to a commit's size. */
  public TxnSize sizeOf(Collection<KeyWrite> keyWrites, Collection<LivenessGuard> guards) {
    return CommitTransaction.size(keys, keyWrites, guards);
  }

  /** A new batch's budget: every commit compares the version key (and reads it on a loss). */
  public TxnSize baseTxnSize() {
    return TxnSize.guard(keys.version());
  }

  /**
   * Finds out whether a commit whose answer never came was applied, by reading what it wrote:
   * its first change event (same bytes), else a liveness key carrying one of its leases (lease
   * ids are never reused). Without such evidence it can no longer apply once the version key has
   * moved past its compare; before that it is unknown. Never throws: an etcd that cannot be read
   * leaves the outcome unknown.
   */
  public CommitCheck checkCommitted(long expectedVersionModRevision,
      List<TopologyUpdate> updates, List<KeyWrite> keyWrites) {
    return checkCommitted(expectedVersionModRevision, TopologyWrites.of(keys, updates, List.of()),
        keyWrites);
  }

  /** As above, with the changes already encoded. */
  public CommitCheck checkCommitted(long expectedVersionModRevision, TopologyWrites topology,
      List<KeyWrite> keyWrites) {
    CommitTransaction txn = new CommitTransaction(keys, expectedVersionModRevision, topology,
        keyWrites, List.of());
    TxnResponse response;
    try {
      response = await(HedgedCall.send(() -> kv().txn().Then(txn.checkReads()).commit(),
          hedging), "commit check");
    } catch (RuntimeException e) {
      return CommitCheck.unreachable();
    }
    return txn.checkOutcome(response, this::commitMarkAt);
  }

  /** {@code P/topology/commit} as of {@code revision}; empty when it cannot be read (compacted). */
  private Optional<String> commitMarkAt(long revision) {
    try {
      return await(HedgedCall.send(() -> kv().get(bytes(keys.commitMark()),
          GetOption.builder().withRevision(revision).build()), hedging), "commit check")
          .getKvs().stream().findFirst()
          .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Watches the whole prefix from {@code fromRevision}, delivering each etcd revision's changes
   * together, in revision order. {@code onAnswer} runs for every answer, progress reports
   * included (see {@link Watch.Watcher#requestProgress}). {@code onError} receives compaction
   * and connection failures; after it the watch is dead and the caller starts a new one.
   */
  public Watch.Watcher watch(long fromRevision, Consumer<List<KvChange>> onRevision,
      Runnable onAnswer, Consumer<Throwable> onError) {
    // A member cut off from etcd's leader (a lost quorum, a partition) would keep this watch open
    // and answer its progress requests from its own stale state: the cache would look in sync
    // while nothing can commit. With a required leader, etcd ends the watch after about three
    // election timeouts without one (and refuses a new one at once), so the cache resyncs
    // through a linearizable read and says it does not follow etcd until the quorum is back.
    WatchOption option = WatchOption.builder()
        .isPrefix(true)
        .withRevision(fromRevision)
        .withRequireLeader(true)
        .build();
    return watch.watch(bytes(keys.prefix()), option, Watch.listener(
        response -> {
          onAnswer.run();
          deliverByRevision(response.getEvents(), onRevision);
        },
        onError,
        () -> onError.accept(new IllegalStateException("etcd watch completed"))));
  }

  private static void deliverByRevision(List<WatchEvent> events, Consumer<List<KvChange>> sink) {
    List<KvChange> batch = new ArrayList<>();
    long revision = -1;
    for (WatchEvent event : events) {
      KeyValue kvp = event.getKeyValue();
      if (revision != -1 && kvp.getModRevision() != revision) {
        sink.accept(batch);
        batch = new ArrayList<>();
      }
      revision = kvp.getModRevision();
      boolean deleted = event.getEventType() == WatchEvent.EventType.DELETE;
      batch.add(new KvChange(kvp.getKey().toString(StandardCharsets.UTF_8),
          kvp.getValue().getBytes(), deleted, revision, deleted ? 0 : kvp.getLease()));
    }
    if (!batch.isEmpty()) {
      sink.accept(batch);
    }
  }

  /** Starts granting a lease of {@code ttlSeconds} ahead of need (a pool's refill). */
  public CompletableFuture<Long> grantLeaseAsync(long ttlSeconds) {
    return lease.grant(ttlSeconds).thenApply(LeaseGrantResponse::getID);
  }

  /**
   * Starts granting a lease of {@code ttlSeconds} that a call waits for, within the deadline
   * (see {@link #awaitLeases}): sent again while unanswered ({@link HedgedCall}), so a member
   * gone silent, or a follower holding it for a dead leader, cannot hold it up; a spare lease is
   * revoked when it arrives.
   */
  public CompletableFuture<Long> grantLeaseHedged(long ttlSeconds) {
    return Deadlines.bound(HedgedCall.send(
        () -> lease.grant(ttlSeconds).thenApply(LeaseGrantResponse::getID), hedging,
        this::revokeLeaseQuietly), timeout, "lease grant");
  }

  /**
   * Waits for lease grants started together, within one deadline. On failure the leases that
   * were granted are revoked.
   */
  public List<Long> awaitLeases(List<CompletableFuture<Long>> grants) {
    if (grants.isEmpty()) {
      return List.of();
    }
    try {
      await(CompletableFuture.allOf(grants.toArray(CompletableFuture[]::new)), "lease grant");
    } catch (RuntimeException e) {
      grants.forEach(g -> g.thenAccept(this::revokeLeaseQuietly));
      throw e;
    }
    return grants.stream().map(CompletableFuture::join).toList();
  }

  /** Revokes a lease, best effort (an unused lease expires by itself). */
  public void revokeLeaseQuietly(long leaseId) {
    lease.revoke(leaseId).exceptionally(e -> null);
  }

  /**
   * Deletes the events before {@code version} (exclusive) and their history records:
   * event-log retention.
   */
  public void trimEventsBefore(long version) {
    if (version <= 1) {
      return;
    }
    await(kv.txn().Then(
        Op.delete(bytes(keys.event(1)),
            DeleteOption.builder().withRange(bytes(keys.event(version))).build()),
        Op.delete(bytes(keys.history(1)),
            DeleteOption.builder().withRange(bytes(keys.history(version))).build()))
        .commit(), "event trim");
  }

  /** A copy of a read goes to the next member in turn that is not being skipped. */
  private KV kv() {
    return routes.pick().map(MemberRoutes.Route::kv).orElse(kv);
  }

  /** Closes the per-member clients of the commit routes (the shared client is the caller's). */
  @Override
  public void close() {
    routes.close();
  }

  private <T> T await(CompletableFuture<T> call, String operation) {
    return metrics.etcd(operation, () -> Deadlines.await(call, timeout, operation));
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static ByteSequence bytes(byte[] value) {
    return ByteSequence.from(value);
  }
}
