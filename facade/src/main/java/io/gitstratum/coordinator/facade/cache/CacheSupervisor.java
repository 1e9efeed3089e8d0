package io.gitstratum.coordinator.facade.cache;

import io.etcd.jetcd.Watch;
import io.gitstratum.coordinator.facade.core.CoordinatorException;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.KvChange;
import io.gitstratum.coordinator.facade.store.StoreSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link TopologyCache} following etcd: a full read, then ONE prefix watch from the
 * read's revision. A watch that fails (compaction, etcd restart), delivers a gap, or silently falls
 * behind etcd's version key is replaced by a fresh read and a new watch.
 *
 * <p>All resyncs run on the given single-threaded scheduler; watch callbacks from an older watch
 * session are ignored, so a dead watch cannot overwrite a newer state.
 */
public final class CacheSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheSupervisor.class);

  private final EtcdTopologyStore store;
  private final TopologyCache cache;
  private final ScheduledExecutorService scheduler;
  private final Duration checkInterval;
  private final AtomicLong session = new AtomicLong();

  // Confined to the scheduler thread.
  private Watch.Watcher watcher;
  private long behindSince = -1;
  private ScheduledFuture<?> checks;
  private boolean closed;

  /**
   * @param checkInterval how often the cache is compared with etcd's version key; a cache behind
   *     on two checks in a row is rebuilt, as is a failed watch after this delay
   */
  public CacheSupervisor(EtcdTopologyStore store, TopologyCache cache,
      ScheduledExecutorService scheduler, Duration checkInterval) {
    this.store = store;
    this.cache = cache;
    this.scheduler = scheduler;
    this.checkInterval = checkInterval;
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
    try {
      snapshot = store.read();
    } catch (RuntimeException e) { // unreachable etcd, or a corrupt record: retry either way
      cache.markUnsynced();
      log.warn("topology read for resync ({}) failed, retrying in {} ms: {}", reason,
          checkInterval.toMillis(), e.getMessage());
      scheduler.schedule(() -> resync(reason), checkInterval.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    cache.reset(snapshot);
    behindSince = -1;
    watcher = store.watch(snapshot.revision() + 1,
        changes -> onRevision(id, changes),
        error -> onWatchError(id, error));
    log.info("topology cache synced ({}): version {} at etcd revision {}, {} nodes", reason,
        snapshot.topology().version(), snapshot.revision(), snapshot.topology().size());
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

  /** A watch can stall without an error; etcd's version key tells us if we fell behind. */
  private void check() {
    if (closed || !cache.isSynced()) {
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
    scheduler.execute(() -> {
      closed = true;
      session.incrementAndGet();
      if (checks != null) {
        checks.cancel(false);
      }
      closeWatcher();
    });
  }
}
