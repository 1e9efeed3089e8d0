package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.failover.Backoff;
import io.gitstratum.coordinator.client.failover.WatchCall;
import io.gitstratum.coordinator.client.failover.WatchObserver;
import io.gitstratum.coordinator.client.failover.WatchSource;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.ring.InsufficientNodesException;
import io.gitstratum.coordinator.client.ring.LabelSpread;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Threads: messages are handled, and listeners called, one at a time under one lock on the
 * gRPC thread that delivers them; reconnects and the idle check run on a scheduler thread. The
 * lookups and {@link #topology()} read one volatile snapshot and never block. The watcher owns
 * its stream and (unless one was given) its scheduler; it does not own its {@link WatchSource}
 * (close the client after the watcher).
 */
public final class TopologyWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopologyWatcher.class);

  private final WatchSource source;
  private final TopologyListeners listeners = new TopologyListeners();
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final long idleTimeoutNanos;
  private final long maxBackoffNanos;
  private final LongSupplier ticker;
  private final CountDownLatch firstSync = new CountDownLatch(1);
  private volatile Placement placement = Placement.EMPTY;
  private volatile boolean synced;

  private final Object lock = new Object();
  // Guarded by lock.
  private final TopologyFollower follower = new TopologyFollower();
  private final Backoff backoff;
  private int attempt;
  private WatchCall current;
  private boolean reconnectPending;
  private boolean started;
  private boolean closed;
  private long lastMessageNanos;
  private long resumes;
  private ScheduledFuture<?> idleCheck;

  private TopologyWatcher(Builder b) {
    this.source = b.source;
    b.listeners.forEach(listeners::add);
    this.ownsScheduler = b.scheduler == null;
    this.scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "topology-watcher");
      t.setDaemon(true);
      return t;
    }) : b.scheduler;
    this.idleTimeoutNanos = b.idleTimeout.toNanos();
    this.maxBackoffNanos = b.maxBackoff.toNanos();
    this.ticker = b.ticker;
    this.backoff = new Backoff(b.initialBackoff, b.maxBackoff, b.random);
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
    synchronized (lock) {
      if (started || closed) {
        throw new IllegalStateException("watcher already started or closed");
      }
      started = true;
      long period = Math.max(1, idleTimeoutNanos / 4);
      idleCheck = scheduler.scheduleWithFixedDelay(this::checkIdle, period, period,
          TimeUnit.NANOSECONDS);
    }
    scheduler.execute(this::connect);
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
   * Read replicas of a key, from memory (see {@link ConsistentHashRing#replicasFor(byte[])}).
   *
   * @throws IllegalStateException before the first sync
   * @throws InsufficientNodesException with fewer ring members than the replication factor
   */
  public List<String> replicasFor(byte[] key) {
    return loaded().ring().replicasFor(key);
  }

  /** {@link #replicasFor(byte[])} of the key's UTF-8 bytes. */
  public List<String> replicasFor(String key) {
    return loaded().ring().replicasFor(key);
  }

  /** Write replicas (DRAINING members skipped); see {@link #replicasFor(byte[])}. */
  public List<String> replicasForWrite(byte[] key) {
    return loaded().ring().replicasForWrite(key);
  }

  public List<String> replicasForWrite(String key) {
    return loaded().ring().replicasForWrite(key);
  }

  /** Read replicas of a 32-byte object id (placed at its own first 8 bytes). */
  public List<String> replicasForObjectId(byte[] objectId) {
    return loaded().ring().replicasForObjectId(objectId);
  }

  /**
   * Read replicas spread over distinct values of {@code spreadLabel} (e.g. {@code "zone"}),
   * falling back to plain placement when the members have fewer distinct values than the
   * replication factor; the exact rule is in {@link LabelSpread}.
   */
  public List<String> replicasFor(String key, String spreadLabel) {
    return spread(spreadLabel).replicasFor(key);
  }

  /** Write replicas spread over {@code spreadLabel}; see {@link #replicasFor(String, String)}. */
  public List<String> replicasForWrite(String key, String spreadLabel) {
    return spread(spreadLabel).replicasForWrite(key);
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
    synchronized (lock) {
      return Optional.ofNullable(current).map(WatchCall::endpoint);
    }
  }

  /** How many times a stream was replaced (broken, gap, idle) since the start. */
  public long resumes() {
    synchronized (lock) {
      return resumes;
    }
  }

  private void connect() {
    int myAttempt;
    long since;
    synchronized (lock) {
      reconnectPending = false;
      if (closed) {
        return;
      }
      myAttempt = ++attempt;
      since = follower.synced() ? follower.version() : 0;
    }
    WatchCall call;
    try {
      call = source.watchTopology(since, new Observer(myAttempt));
    } catch (IllegalStateException e) {
      // The client was closed under the watcher: nothing will ever work again.
      log.warn("topology watcher stops: its source is closed ({})", e.getMessage());
      return;
    } catch (RuntimeException e) {
      synchronized (lock) {
        if (attempt == myAttempt) {
          scheduleReconnectLocked("cannot open a stream: " + e.getMessage(), Duration.ZERO);
        }
      }
      return;
    }
    synchronized (lock) {
      if (closed || attempt != myAttempt) {
        call.cancel(); // it failed (or we closed) before we got here
        return;
      }
      current = call;
      lastMessageNanos = ticker.getAsLong();
      log.debug("watching topology on {} since version {}", call.endpoint(), since);
    }
  }

  /** Drops the stream in use; assumes the lock is held. */
  private void dropStreamLocked(String reason, boolean abandon) {
    dropStreamLocked(reason, abandon, Duration.ZERO);
  }

  /** Drops the stream in use and reconnects after at least {@code wait}; lock held. */
  private void dropStreamLocked(String reason, boolean abandon, Duration wait) {
    WatchCall call = current;
    current = null;
    attempt++; // late callbacks of the old stream are ignored from now on
    resumes++;
    if (call != null) {
      if (abandon) {
        call.abandon(reason);
      } else {
        call.cancel();
      }
    }
    scheduleReconnectLocked(reason, wait);
  }

  /** Reconnects after the backoff, or after {@code wait} (capped) when that is longer. */
  private void scheduleReconnectLocked(String reason, Duration wait) {
    if (closed || reconnectPending) {
      return;
    }
    reconnectPending = true;
    Duration delay = backoff.next();
    if (wait.compareTo(delay) > 0) {
      delay = wait.toNanos() > maxBackoffNanos ? Duration.ofNanos(maxBackoffNanos) : wait;
    }
    log.info("topology stream at version {}: {}; resuming in {} ms", follower.version(), reason,
        delay.toMillis());
    scheduler.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void checkIdle() {
    synchronized (lock) {
      if (!closed && current != null
          && ticker.getAsLong() - lastMessageNanos > idleTimeoutNanos) {
        dropStreamLocked("no message (not even a keepalive) for "
            + Duration.ofNanos(idleTimeoutNanos).toMillis() + " ms", true);
      }
    }
  }

  /** Handles one message of the current stream; assumes the lock is held. */
  private void handleLocked(TopologyUpdate update) {
    lastMessageNanos = ticker.getAsLong();
    TopologyFollower.Step step = follower.accept(update);
    switch (step.kind()) {
      case IGNORED -> {
        if (update.hasLagged()) {
          log.warn("topology stream {}; a full_sync follows", step.reason());
        }
      }
      case RESUME -> dropStreamLocked(step.reason(), true);
      case RESYNCED -> {
        placement = Placement.of(step.after());
        synced = true;
        backoff.reset();
        firstSync.countDown();
        listeners.resynced(step);
      }
      case APPLIED -> {
        placement = placement.next(step.after(), update);
        backoff.reset();
        listeners.changed(step);
      }
      default -> throw new IllegalStateException("unexpected step " + step.kind());
    }
  }

  /** Ends the stream and the reconnect loop; no listener is called after this returns. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      attempt++;
      if (current != null) {
        current.cancel();
        current = null;
      }
      if (idleCheck != null) {
        idleCheck.cancel(false);
      }
    }
    firstSync.countDown();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }

  /** Receives one attempt's stream; callbacks of replaced attempts are ignored. */
  private final class Observer implements WatchObserver {
    private final int myAttempt;

    Observer(int myAttempt) {
      this.myAttempt = myAttempt;
    }

    @Override
    public void onNext(TopologyUpdate update) {
      synchronized (lock) {
        if (!closed && attempt == myAttempt) {
          handleLocked(update);
        }
      }
    }

    @Override
    public void onError(CoordinatorClientException error) {
      synchronized (lock) {
        if (!closed && attempt == myAttempt) {
          // A watcher limit comes with the delay to wait (RetryInfo); honour it.
          dropStreamLocked("stream broke: " + error.getMessage(), false,
              error.retryDelay().orElse(Duration.ZERO));
        }
      }
    }

    @Override
    public void onCompleted() {
      synchronized (lock) {
        if (!closed && attempt == myAttempt) {
          dropStreamLocked("stream ended by the facade", true);
        }
      }
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
