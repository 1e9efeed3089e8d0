package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.client.failover.Backoff;
import io.gitstratum.coordinator.client.failover.WatchSource;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.ring.InsufficientNodesException;
import io.gitstratum.coordinator.client.ring.LabelSpread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Keeps a local topology and hash ring current from WatchTopology, so routing answers come from
 * memory: {@link #replicasFor(String)} costs a binary search, never a network call.
 *
 * <p>The watcher checks every message (see {@link TopologyFollower}): changes must follow the
 * version it holds one by one, {@code keepalive} is ignored, {@code lagged} must be followed by
 * a {@code full_sync}, and a {@code full_sync} replaces everything. On a gap, a protocol error, a
 * broken or ended stream, or a stream silent for longer than the idle timeout (the facade sends
 * a keepalive at least every 15 s), it drops the stream, moves its source off that endpoint and
 * resumes with {@code since_version} = the version it holds, after a jittered exponential backoff
 * (100 ms doubling to 5 s by default, reset by the next good message), so a failing facade never
 * makes it spin. The facade replays the missed changes, so a replica failover loses and repeats
 * nothing.
 *
 * <p>Threads: messages are handled one at a time under the lock of its {@link TopologyStream}
 * on the gRPC thread that delivers them; a change costs that thread no hashing (a state change
 * flips a member's serving flag, a new member's points are its only ones computed). Listeners
 * are called on a thread of the watcher's own, in version order, after the lookups already
 * answer from the new topology; reconnects and the idle check run on a scheduler thread. The lookups and {@link #topology()} read one volatile snapshot and never
 * block. The watcher owns its stream and (unless one was given) its scheduler; it does not own
 * its {@link WatchSource} (close the client after the watcher).
 */
public final class TopologyWatcher implements AutoCloseable {
  private final TopologyListeners listeners = new TopologyListeners();
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final TopologyStream stream;
  private final CountDownLatch firstSync = new CountDownLatch(1);
  private volatile Placement placement = Placement.EMPTY;
  private volatile boolean synced;

  private TopologyWatcher(Builder b) {
    b.listeners.forEach(listeners::add);
    this.ownsScheduler = b.scheduler == null;
    this.scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "topology-watcher");
      t.setDaemon(true);
      return t;
    }) : b.scheduler;
    this.stream = new TopologyStream(b.source, scheduler,
        new Backoff(b.initialBackoff, b.maxBackoff, b.random), b.maxBackoff, b.idleTimeout,
        b.ticker, this::take);
  }

  /** A watcher fed by {@code source} (usually a {@code CoordinatorClient}). */
  public static Builder builder(WatchSource source) {
    return new Builder(source);
  }

  /**
   * Opens the first stream (asynchronously; see {@link #awaitSynced}) and starts the idle check.
   * Listeners added before this hear the first sync.
   *
   * @return this watcher
   * @throws IllegalStateException when already started or closed
   */
  public TopologyWatcher start() {
    stream.start();
    return this;
  }

  /**
   * Waits for the first {@code full_sync}.
   *
   * @return whether the watcher is synced (false on timeout or when closed first)
   */
  public boolean awaitSynced(Duration timeout) throws InterruptedException {
    firstSync.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    return synced;
  }

  /** Whether the first {@code full_sync} has arrived. */
  public boolean isSynced() {
    return synced;
  }

  /** The topology held (empty at version 0 before the first sync). */
  public Topology topology() {
    return placement.topology();
  }

  public long version() {
    return placement.topology().version();
  }

  /** The ring of the topology held. */
  public ConsistentHashRing ring() {
    return placement.ring();
  }

  /**
   * Replicas of a key, for reads and writes alike, from memory (see {@link ConsistentHashRing#replicasFor(byte[])}).
   *
   * @throws IllegalStateException before the first sync
   * @throws InsufficientNodesException with fewer serving members than the replication factor
   */
  public List<String> replicasFor(byte[] key) {
    return loaded().ring().replicasFor(key);
  }

  /** {@link #replicasFor(byte[])} of the key's UTF-8 bytes. */
  public List<String> replicasFor(String key) {
    return loaded().ring().replicasFor(key);
  }

  /**
   * The primary of a key (gitstratum's {@code primary_node}): ownership, whatever its state.
   *
   * @throws IllegalStateException before the first sync
   */
  public Optional<String> primaryFor(String key) {
    return loaded().ring().primaryFor(key);
  }

  /** Replicas of a 32-byte object id (placed at its own first 8 bytes). */
  public List<String> replicasForObjectId(byte[] objectId) {
    return loaded().ring().replicasForObjectId(objectId);
  }

  /**
   * Replicas spread over distinct values of {@code spreadLabel} (e.g. {@code "zone"}),
   * falling back to plain placement when the members have fewer distinct values than the
   * replication factor; the exact rule is in {@link LabelSpread}.
   */
  public List<String> replicasFor(String key, String spreadLabel) {
    return spread(spreadLabel).replicasFor(key);
  }

  /** The spread placement over {@code label} for the topology held (cached per version). */
  public LabelSpread spread(String label) {
    return loaded().spread(Objects.requireNonNull(label, "label"));
  }

  private Placement loaded() {
    if (!synced) {
      throw new IllegalStateException(
          "topology not loaded yet (no full_sync received); see awaitSynced");
    }
    return placement;
  }

  /** Adds a listener; one added after {@link #start()} hears the changes from then on. */
  public void addListener(TopologyListener listener) {
    listeners.add(listener);
  }

  public void removeListener(TopologyListener listener) {
    listeners.remove(listener);
  }

  /** The endpoint of the stream in use, if one is open. */
  public Optional<String> currentEndpoint() {
    return stream.currentEndpoint();
  }

  /** How many times a stream was replaced (broken, gap, idle) since the start. */
  public long resumes() {
    return stream.resumes();
  }

  /** Takes a step that changed the topology (under the stream's lock, in version order). */
  private void take(TopologyFollower.Step step) {
    switch (step.kind()) {
      case RESYNCED -> {
        placement = placement.resynced(step.after());
        synced = true;
        firstSync.countDown();
        listeners.resynced(step);
      }
      case APPLIED -> {
        placement = placement.next(step.after(), step.update());
        listeners.changed(step);
      }
      default -> throw new IllegalStateException("unexpected step " + step.kind());
    }
  }

  /** Ends the stream and the reconnect loop; no listener call starts after this returns. */
  @Override
  public void close() {
    stream.close();
    listeners.close();
    firstSync.countDown();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }

  /** Settings of a {@link TopologyWatcher}. Not thread-safe. */
  public static final class Builder {
    private final WatchSource source;
    private final List<TopologyListener> listeners = new ArrayList<>();
    private ScheduledExecutorService scheduler;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofSeconds(45);
    private Random random = new Random();
    private LongSupplier ticker = System::nanoTime;

    private Builder(WatchSource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** A listener that hears everything from the first sync on. */
    public Builder listener(TopologyListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Reconnect backoff: from {@code initial} doubling to {@code max} (default 100 ms, 5 s). */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * A stream silent for this long is replaced (default 45 s: three of the facade's default
     * 10 s keepalives, with margin).
     */
    public Builder idleTimeout(Duration idleTimeout) {
      if (idleTimeout.isZero() || idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must be positive");
      }
      this.idleTimeout = idleTimeout;
      return this;
    }

    /** Runs reconnects and idle checks here instead of on a thread of the watcher's own. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The nanosecond ticker for the idle timeout (tests). */
    Builder ticker(LongSupplier ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Jitter source (tests). */
    Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Builds the watcher without starting it (add listeners, then {@link #start()}). */
    public TopologyWatcher build() {
      return new TopologyWatcher(this);
    }

    /** Builds the watcher and starts it. */
    public TopologyWatcher start() {
      return build().start();
    }
  }
}
