package io.gitstratum.coordinator.facade.cache;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import io.gitstratum.coordinator.facade.store.WrittenEvent;
import io.gitstratum.coordinator.facade.store.KvChange;
import io.gitstratum.coordinator.facade.store.StoreSnapshot;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Key;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * This replica's copy of the topology, fed by etcd (a full read, then the prefix watch) and by
 * this replica's own commits as they succeed, never moving backwards. It
 * applies the same change events that clients receive, so it cannot drift from them; GetTopology,
 * the write path and the watch hub read it. Thread-safe: reads are lock-free snapshots, changes
 * are serialised by one lock, and listeners are called with it held, in order (they must only
 * hand work off; docs/THREADS.md).
 */
@Singleton
public final class TopologyCache {
  /**
   * One consistent view.
   *
   * @param revision the last etcd revision applied
   * @param versionModRevision the version key's mod revision; writes compare against it
   */
  public record State(Topology topology, long revision, long versionModRevision, long raftTerm) {}

  /** Told about every change, on the thread that applied it, in order. */
  public interface Listener {
    /** Change events, consecutive and following the previous state. */
    void onUpdates(List<TopologyUpdate> updates, State after);

    /** The cache was rebuilt from a fresh read; what happened in between is not known here. */
    void onResync(State before, State after);

    /** A node's alive or grace key appeared or disappeared. */
    default void onLiveness(String nodeId) {}
  }

  /** Someone waiting, without a thread, for the version key to reach a revision. */
  private record Waiter(long versionModRevision, CompletableFuture<Void> done) {}

  private static final State UNSYNCED = new State(Topology.empty(), 0, 0, 0);

  private final Keyspace keys;
  private final Object lock = new Object();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  // Written under the lock, read without it: readers take a consistent snapshot.
  private volatile State state = UNSYNCED;

  @GuardedBy("lock")
  private boolean synced;

  // The newest etcd revision applied, by the watch or from this replica's own commits: a fresh
  // read older than it would undo what callers and watchers have already been told.
  @GuardedBy("lock")
  private long appliedRevision;

  @GuardedBy("lock")
  private final List<Waiter> waiters = new ArrayList<>();

  // The nodes' alive and grace keys: written under the lock, read without it.
  private final LivenessKeys liveness = new LivenessKeys();

  private final EventsInFlight inFlight = new EventsInFlight();

  // An operator's pause of SUSPECT->DOWN (P/detector/pause): written under the lock.
  private volatile Optional<DetectorPauseRecord> detectorPause = Optional.empty();

  @Inject
  public TopologyCache(Keyspace keys) {
    this.keys = keys;
  }

  public State state() {
    return state;
  }

  public boolean isSynced() {
    synchronized (lock) {
      return synced;
    }
  }

  /** The liveness keys as last seen; not versioned with {@link #state()}. */
  public LivenessView liveness() {
    return liveness;
  }

  /** An operator's pause of SUSPECT→DOWN, as last seen. */
  public Optional<DetectorPauseRecord> detectorPause() {
    return detectorPause;
  }

  /** The lease of the node's alive key, if it has one. */
  public OptionalLong aliveLease(String nodeId) {
    return liveness.aliveLease(nodeId);
  }

  /** The lease of the node's grace key, if it has one. */
  public OptionalLong graceLease(String nodeId) {
    return liveness.graceLease(nodeId);
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /**
   * Replaces everything with a fresh read, unless the read is older than what the cache has
   * applied already (it started before a commit of this replica that went in meanwhile): the
   * cache never moves backwards.
   *
   * @return false when the read was refused; read again
   */
  public boolean reset(StoreSnapshot snapshot) {
    return reset(snapshot, false);
  }

  /** As {@link #reset(StoreSnapshot)}; {@code allowOlder} accepts an older read anyway. */
  public boolean reset(StoreSnapshot snapshot, boolean allowOlder) {
    synchronized (lock) {
      if (snapshot.revision() < appliedRevision && !allowOlder) {
        return false;
      }
      appliedRevision = snapshot.revision();
      State before = state;
      State after = new State(snapshot.topology(), snapshot.revision(),
          snapshot.versionModRevision(), snapshot.raftTerm());
      liveness.reset(snapshot);
      detectorPause = snapshot.detectorPause();
      state = after;
      synced = true;
      lock.notifyAll();
      releaseWaiters();
      for (Listener listener : listeners) {
        listener.onResync(before, after);
      }
      return true;
    }
  }

  /** Marks the cache as not following etcd (its watch broke); reads keep the last state. */
  public void markUnsynced() {
    synchronized (lock) {
      synced = false;
    }
  }

  /**
   * Applies the changes of one etcd revision, as the prefix watch delivers them. Change events
   * this replica already applied from its own commit ({@link #applyCommitted}) are skipped.
   *
   * @throws io.gitstratum.coordinator.client.topology.TopologyGapException when an event does not
   *     follow the cached version; the caller must {@link #reset} from a fresh read
   */
  public void apply(List<KvChange> revision) {
    if (revision.isEmpty()) {
      return;
    }
    synchronized (lock) {
      State before = state;
      long rev = revision.get(0).modRevision();
      if (rev <= before.revision()) {
        return; // already part of the snapshot this watch started from
      }
      appliedRevision = Math.max(appliedRevision, rev);
      List<TopologyUpdate> updates = new ArrayList<>(2);
      long versionModRevision = before.versionModRevision();
      HashRingConfig ringConfig = null;
      List<String> livenessChanged = new ArrayList<>(0);
      for (KvChange change : revision) {
        Key key = keys.parse(change.key());
        if (key instanceof Key.Alive alive) {
          if (liveness.setAlive(alive.nodeId(), change.deleted() ? 0 : change.lease(), rev)) {
            livenessChanged.add(alive.nodeId());
          }
        } else if (key instanceof Key.Grace g) {
          if (liveness.setGrace(g.nodeId(), change.deleted() ? 0 : change.lease(), rev)) {
            livenessChanged.add(g.nodeId());
          }
        } else if (key instanceof Key.Drained d) {
          liveness.setDrained(d.nodeId(), !change.deleted(), rev);
        } else if (key instanceof Key.DetectorPause) {
          detectorPause = change.deleted() ? Optional.empty() : Optional.of(
              RecordCodec.decodeDetectorPause(change.key(), change.value()));
        } else if (change.deleted()) {
          continue; // node deletions arrive as node_removed events; trimmed events are history
        } else if (key instanceof Key.Event event) {
          // This replica's own commits are applied already: skip them before decoding.
          if (event.version() > before.topology().version()) {
            updates.add(inFlight.decode(change.key(), change.value()));
          }
        } else if (key instanceof Key.Version) {
          versionModRevision = Math.max(versionModRevision, change.modRevision());
        } else if (key instanceof Key.RingConfig) {
          ringConfig = RecordCodec.decodeRingConfig(change.key(), change.value());
        }
      }
      advance(before, rev, updates, ringConfig, versionModRevision, livenessChanged);
      liveness.watchedThrough(rev);
    }
  }

  /**
   * The change events this replica is about to commit: when the watch brings them back first,
   * it takes them from here rather than parsing them again.
   */
  public void expect(List<WrittenEvent> events) {
    inFlight.expect(events);
  }

  /** Events expected and not yet seen (for tests). */
  int eventsInFlight() {
    return inFlight.size();
  }

  /**
   * Applies a transaction this replica just committed, without waiting for the watch to bring
   * it back: the writer's next batch and its callers' reads see it at once. Idempotent with the
   * watch, which later delivers the same revision.
   *
   * @param revision the commit's etcd revision
   * @param updates the change events it wrote, consecutive from the version it compared against
   * @param writes the liveness keys it wrote
   */
  public void applyCommitted(long revision, List<TopologyUpdate> updates, List<KeyWrite> writes) {
    synchronized (lock) {
      appliedRevision = Math.max(appliedRevision, revision);
      State before = state;
      long known = before.topology().version();
      List<TopologyUpdate> fresh = new ArrayList<>(updates.size());
      for (TopologyUpdate update : updates) {
        if (update.getVersion() > known) {
          fresh.add(update);
        }
        inFlight.forget(keys.event(update.getVersion()));
      }
      List<String> livenessChanged = new ArrayList<>(writes.size());
      for (KeyWrite write : writes) {
        if (liveness.apply(write, revision)) {
          livenessChanged.add(write.nodeId());
        }
      }
      long versionModRevision = updates.isEmpty()
          ? before.versionModRevision() : Math.max(before.versionModRevision(), revision);
      advance(before, before.revision(), fresh, null, versionModRevision, livenessChanged);
    }
  }

  @GuardedBy("lock")
  private void advance(State before, long revision, List<TopologyUpdate> updates,
      HashRingConfig ringConfig, long versionModRevision, List<String> livenessChanged) {
    Topology topology = before.topology();
    if (!updates.isEmpty() || ringConfig != null) {
      // etcd delivers a transaction's keys in key order, not write order: sort the events.
      updates.sort((a, b) -> Long.compareUnsigned(a.getVersion(), b.getVersion()));
      Topology.Draft draft = topology.draft();
      if (ringConfig != null) {
        draft.ringConfig(ringConfig);
      }
      updates.forEach(draft::apply);
      topology = draft.build();
    }
    State after = new State(topology, revision, versionModRevision, before.raftTerm());
    state = after;
    lock.notifyAll();
    releaseWaiters();
    for (Listener listener : listeners) {
      if (!updates.isEmpty()) {
        listener.onUpdates(updates, after);
      }
      livenessChanged.forEach(listener::onLiveness);
    }
  }

  /**
   * Completes once the cache has applied the version key at {@code versionModRevision} or later,
   * without holding a thread meanwhile; fails with a {@link java.util.concurrent.TimeoutException}
   * when {@code timeout} passes first. Dependent work runs off the cache's lock.
   */
  public CompletableFuture<Void> whenVersionRevision(long versionModRevision, Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (lock) {
      if (state.versionModRevision() >= versionModRevision) {
        return CompletableFuture.completedFuture(null);
      }
      waiters.add(new Waiter(versionModRevision, done));
    }
    return done.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @GuardedBy("lock")
  private void releaseWaiters() {
    if (waiters.isEmpty()) {
      return;
    }
    long reached = state.versionModRevision();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.done().isDone()) {
        it.remove(); // timed out
      } else if (waiter.versionModRevision() <= reached) {
        it.remove();
        waiter.done().completeAsync(() -> null); // not under this lock
      }
    }
  }

  /**
   * Blocks until the cache follows etcd (after start-up or a resync).
   *
   * @return false when {@code timeout} passed first
   */
  @SuppressWarnings("GuardedBy") // the condition is evaluated by await(), under the lock
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    return await(() -> synced, timeout);
  }

  /**
   * Blocks until the cache has applied the version key at {@code versionModRevision} or later.
   *
   * @return false when {@code timeout} passed first
   */
  public boolean awaitVersionRevision(long versionModRevision, Duration timeout)
      throws InterruptedException {
    return await(() -> state.versionModRevision() >= versionModRevision, timeout);
  }

  /**
   * Blocks until the cache has applied etcd revision {@code revision} (any key under the prefix
   * written at that revision) or a later one.
   *
   * @return false when {@code timeout} passed first
   */
  public boolean awaitRevision(long revision, Duration timeout) throws InterruptedException {
    return await(() -> state.revision() >= revision, timeout);
  }

  /**
   * Blocks until the cached topology has {@code version} or a later one.
   *
   * @return false when {@code timeout} passed first
   */
  public boolean awaitVersion(long version, Duration timeout) throws InterruptedException {
    return await(() -> state.topology().version() >= version, timeout);
  }

  private boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }
}
