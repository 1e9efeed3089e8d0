package io.gitstratum.coordinator.facade.ops;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.facade.admin.ChangeHistory;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the status page shows from etcd beyond the cache: the last changes with why and who, and
 * the running replicas. Pages poll every few seconds from every open tab, so this never waits for
 * etcd: it answers what it last read and reads again in the background (one read at a time, on
 * the admin thread) when the topology version moved, or the replicas are older than
 * {@link #REPLICAS_EVERY_MS}. Thread-safe.
 */
public final class StatusReads {
  private static final Logger log = LoggerFactory.getLogger(StatusReads.class);
  static final long REPLICAS_EVERY_MS = 5_000;

  private record Read(long version, long atMs, List<Change> changes, List<FacadeRecord> replicas) {}

  private final EtcdAdminStore store;
  private final ExecutorService reader;
  private final LongSupplier millis;
  private final int count;
  private final AtomicBoolean reading = new AtomicBoolean();
  private volatile Read last = new Read(-1, Long.MIN_VALUE / 2, List.of(), List.of());

  /**
   * @param millis the clock that ages the replica list
   * @param count how many of the newest changes to keep
   */
  public StatusReads(EtcdAdminStore store, ExecutorService reader, LongSupplier millis,
      int count) {
    this.store = store;
    this.reader = reader;
    this.millis = millis;
    this.count = count;
  }

  /** The newest changes read so far, oldest first; starts a read if {@code version} is newer. */
  public List<Change> changes(long version) {
    return current(version).changes();
  }

  /** The replicas as last read; starts a read if they are old. */
  public List<FacadeRecord> replicas(long version) {
    return current(version).replicas();
  }

  private Read current(long version) {
    Read known = last;
    boolean stale = version != known.version()
        || millis.getAsLong() - known.atMs() >= REPLICAS_EVERY_MS;
    if (stale && reading.compareAndSet(false, true)) {
      try {
        reader.execute(() -> read(version));
      } catch (RejectedExecutionException e) {
        reading.set(false); // busy with admin calls: the next poll tries again
      }
    }
    return known;
  }

  private void read(long version) {
    try {
      last = new Read(version, millis.getAsLong(),
          store.changes(Math.max(0, version - count), version).stream()
              .map(ChangeHistory::change).toList(),
          store.replicas());
    } catch (RuntimeException e) {
      log.debug("status page: etcd not read: {}", e.toString());
    } finally {
      reading.set(false);
    }
  }
}
