package io.gitstratum.coordinator.facade.cache;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.etcd.jetcd.Watch;
import io.gitstratum.coordinator.facade.core.Durations;
import io.gitstratum.coordinator.facade.errors.CoordinatorException;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.KvChange;
import io.gitstratum.coordinator.facade.store.StoreSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link TopologyCache} following etcd: a full read, then ONE prefix watch from the
 * read's revision. A watch that fails (compaction, etcd restart), delivers a gap, stops answering
 * progress requests, or silently falls behind etcd's version key is replaced by a fresh read and
 * a new watch.
 *
 * <p>All resyncs run on the given single-threaded scheduler; watch callbacks from an older watch
 * session are ignored, so a dead watch cannot overwrite a newer state.
 */
public final class CacheSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheSupervisor.class);

  private final EtcdTopologyStore store;
  private final TopologyCache cache;
  private final ScheduledExecutorService scheduler;
  private static final int MAX_STALE_READS = 3;

  private final Duration checkInterval;
  private final Duration timeout;
  private final AtomicLong session = new AtomicLong();

  // Confined to the scheduler thread.
  private Watch.Watcher watcher;
  private long behindSince = -1;
  private int staleReads;
  private long progressRequestedNanos = -1;
  // Written by watch callbacks: when the current watch last said anything.
  private volatile long lastHeardNanos;
  private ScheduledFuture<?> checks;
  private boolean closed;
  private final boolean ownsScheduler;

  /**
   * @param checkInterval how often the cache is compared with etcd's version key; a cache behind
   *     on two checks in a row is rebuilt, as is a failed watch after this delay
   * @param timeout a watch that does not answer a progress request within it is replaced
   */
  public CacheSupervisor(EtcdTopologyStore store, TopologyCache cache,
      ScheduledExecutorService scheduler, Duration checkInterval, Duration timeout) {
    this(store, cache, scheduler, checkInterval, timeout, false);
  }

  private CacheSupervisor(EtcdTopologyStore store, TopologyCache cache,
      ScheduledExecutorService scheduler, Duration checkInterval, Duration timeout,
      boolean ownsScheduler) {
    this.store = store;
    this.cache = cache;
    this.scheduler = scheduler;
    this.checkInterval = checkInterval;
    this.timeout = timeout;
    this.ownsScheduler = ownsScheduler;
  }

  /**
   * A supervisor on its own {@code cache-supervisor} thread, ended by {@link #close()}: a resync
   * reads the whole prefix and blocks that thread for seconds on a large cluster, which must not
   * hold up the replica's timers (watch keepalives, readiness).
   */
  public static CacheSupervisor onOwnThread(EtcdTopologyStore store, TopologyCache cache,
      Duration checkInterval, Duration timeout) {
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
        new ThreadFactoryBuilder().setNameFormat("cache-supervisor").setDaemon(true).build());
    return new CacheSupervisor(store, cache, thread, checkInterval, timeout, true);
  }

  /** Loads the cache and starts the watch; retries in the background when etcd is unreachable. */
  public void start() {
    scheduler.execute(() -> resync("start"));
    long periodMs = checkInterval.toMillis();
    checks = scheduler.scheduleWithFixedDelay(this::check, periodMs, periodMs,
        TimeUnit.MILLISECONDS);
  }

  private void resync(String reason) {
    if (closed) {
      return;
    }
    long id = session.incrementAndGet();
    closeWatcher();
    StoreSnapshot snapshot;
    long readStart = System.nanoTime();
    try {
      snapshot = store.read();
    } catch (RuntimeException e) { // unreachable etcd, or a corrupt record: retry either way
      cache.markUnsynced();
      log.warn("topology read for resync ({}) failed, retrying in {} ms: {}", reason,
          checkInterval.toMillis(), e.getMessage());
      scheduler.schedule(() -> resync(reason), checkInterval.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    // A read that started before one of this replica's commits and ended after it is older
    // than the cache: read again rather than roll the commit back (a few times; if etcd's
    // revision itself went backwards, a restore, take the read).
    if (!cache.reset(snapshot, staleReads >= MAX_STALE_READS)) {
      staleReads++;
      log.info("topology read at revision {} is older than the cache, reading again",
          snapshot.revision());
      scheduler.execute(() -> resync(reason));
      return;
    }
    staleReads = 0;
    behindSince = -1;
    progressRequestedNanos = -1;
    lastHeardNanos = System.nanoTime();
    watcher = store.watch(snapshot.revision() + 1,
        changes -> onRevision(id, changes),
        () -> heard(id),
        error -> onWatchError(id, error));
    log.info("topology cache synced ({}): version {} at etcd revision {}, {} nodes, read in {} ms",
        reason, snapshot.topology().version(), snapshot.revision(), snapshot.topology().size(),
        (System.nanoTime() - readStart) / 1_000_000);
  }

  private void heard(long id) {
    if (session.get() == id) {
      lastHeardNanos = System.nanoTime();
    }
  }

  private void onRevision(long id, List<KvChange> changes) {
    if (session.get() != id) {
      return;
    }
    try {
      cache.apply(changes);
    } catch (RuntimeException e) {
      // A gap or an undecodable event: never skip it silently, rebuild from etcd instead.
      log.error("cannot apply etcd revision {} to the topology cache, resyncing: {}",
          changes.get(0).modRevision(), e.toString());
      cache.markUnsynced();
      scheduler.execute(() -> {
        if (session.get() == id) {
          resync("bad revision");
        }
      });
    }
  }

  private void onWatchError(long id, Throwable error) {
    if (session.get() != id) {
      return;
    }
    log.warn("etcd watch failed, resyncing: {}", error.toString());
    cache.markUnsynced();
    scheduler.schedule(() -> {
      if (session.get() == id) {
        resync("watch failed");
      }
    }, Math.min(checkInterval.toMillis(), 200), TimeUnit.MILLISECONDS);
  }

  /**
   * A watch can stall without an error: its etcd member may have gone silent (packets dropped,
   * the connection left open) long before TCP keepalive notices. An idle watch is asked for a
   * progress report every check; one that does not answer within the etcd timeout is replaced.
   * Independently, etcd's version key tells us if we fell behind.
   */
  private void check() {
    if (closed || !cache.isSynced()) {
      return;
    }
    if (watcher != null && watchSilent()) {
      // Not following etcd from now on: say so (readiness, HealthCheck) before the resync's read,
      // which can itself wait for an etcd that does not answer.
      cache.markUnsynced();
      resync("watch silent for " + Durations.format(timeout));
      return;
    }
    long etcdRevision;
    try {
      etcdRevision = store.currentVersionRevision();
    } catch (CoordinatorException e) {
      log.debug("version check failed: {}", e.getMessage());
      return;
    }
    if (cache.state().versionModRevision() >= etcdRevision) {
      behindSince = -1;
    } else if (behindSince < 0) {
      behindSince = etcdRevision;
    } else if (cache.state().versionModRevision() < behindSince) {
      resync("watch stalled behind revision " + behindSince);
    }
  }

  private boolean watchSilent() {
    long now = System.nanoTime();
    if (progressRequestedNanos >= 0 && lastHeardNanos - progressRequestedNanos >= 0) {
      progressRequestedNanos = -1; // answered
    }
    if (progressRequestedNanos >= 0) {
      return now - progressRequestedNanos > timeout.toNanos();
    }
    if (now - lastHeardNanos >= checkInterval.toNanos()) {
      progressRequestedNanos = now;
      try {
        watcher.requestProgress();
      } catch (RuntimeException e) {
        log.debug("watch progress request failed: {}", e.toString());
      }
    }
    return false;
  }

  private void closeWatcher() {
    if (watcher != null) {
      try {
        watcher.close();
      } catch (RuntimeException e) {
        log.debug("closing a dead watch: {}", e.toString());
      }
      watcher = null;
    }
  }

  @Override
  public void close() {
    session.incrementAndGet(); // from now on, watch callbacks schedule nothing
    scheduler.execute(() -> {
      closed = true;
      if (checks != null) {
        checks.cancel(false);
      }
      closeWatcher();
    });
    if (ownsScheduler) {
      scheduler.shutdown(); // after the task above
    }
  }
}
