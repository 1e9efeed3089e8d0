package io.gitstratum.coordinator.facade.ops;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.facade.admin.ChangeHistory;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last changes with why and who, for the status page. The page is polled every second by
 * every open tab, so this never waits for etcd: it answers what it last read and, when the
 * topology version has moved since, reads the newest changes again in the background (one read
 * at a time, on the admin thread). Thread-safe.
 */
public final class RecentChanges {
  private static final Logger log = LoggerFactory.getLogger(RecentChanges.class);

  private record Read(long version, List<Change> changes) {}

  private final EtcdAdminStore store;
  private final ExecutorService reader;
  private final int count;
  private final AtomicBoolean reading = new AtomicBoolean();
  private volatile Read last = new Read(-1, List.of());

  /** @param count how many of the newest changes to keep */
  public RecentChanges(EtcdAdminStore store, ExecutorService reader, int count) {
    this.store = store;
    this.reader = reader;
    this.count = count;
  }

  /** The newest changes read so far, oldest first; starts a read if {@code version} is newer. */
  public List<Change> upTo(long version) {
    Read known = last;
    if (version != known.version() && reading.compareAndSet(false, true)) {
      try {
        reader.execute(() -> read(version));
      } catch (RejectedExecutionException e) {
        reading.set(false); // busy with admin calls: the next poll tries again
      }
    }
    return known.changes();
  }

  private void read(long version) {
    try {
      last = new Read(version, store.changes(Math.max(0, version - count), version).stream()
          .map(ChangeHistory::change).toList());
    } catch (RuntimeException e) {
      log.debug("status page: recent changes not read: {}", e.toString());
    } finally {
      reading.set(false);
    }
  }
}
