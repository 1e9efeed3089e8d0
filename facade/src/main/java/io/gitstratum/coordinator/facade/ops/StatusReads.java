package io.gitstratum.coordinator.facade.ops;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.facade.admin.ChangeHistory;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the status page shows from etcd beyond the cache: the last changes with why and who, the
 * running replicas, and when the nodes on a page last heartbeated. Pages poll every few seconds
 * from every open tab, so this never waits for etcd: it answers what it last read and reads
 * again in the background (one read of each kind at a time, on the admin thread) when the
 * topology version moved, the replicas are older than {@link #REPLICAS_EVERY_MS}, or a node's
 * heartbeat time is older than {@link #HEARTBEATS_EVERY_MS}. Thread-safe.
 *
 * <p>Why heartbeat times come from etcd: a steady heartbeat writes nothing but a renewal of the
 * node's lease, possibly through another replica, so no replica's cache knows when it came; the
 * lease's remaining time does, for every replica alike.
 */
public final class StatusReads {
  private static final Logger log = LoggerFactory.getLogger(StatusReads.class);
  static final long REPLICAS_EVERY_MS = 5_000;
  static final long HEARTBEATS_EVERY_MS = 2_000;
  /** A node's heartbeat time read this long ago is no longer shown (its page moved on). */
  static final long HEARTBEATS_KEPT_MS = 10_000;

  /** Changes read per version move: the recent ones shown, and each problem node's last. */
  static final int CHANGES_READ = 2_000;
  /** Routine changes, left out of the recent ones shown (revivals hid the DOWN transitions). */
  private static final Set<String> ROUTINE = Set.of("heartbeat revived");

  /**
   * What was read at {@code version}: the newest notable changes, each node's last change among
   * the newest {@link #CHANGES_READ}, and the oldest retained change (version, unix ms).
   */
  private record Read(long version, long atMs, List<Change> changes, Map<String, Change> lastOf,
      List<FacadeRecord> replicas, long oldestVersion, long oldestAtMs) {}

  /** The history as the status page shows it; see {@link #history}. */
  public record History(List<Change> notable, Map<String, Change> lastOf, long oldestVersion,
      long oldestAtMs) {}

  /** When a node last heartbeated (unix ms; 0: it has no live lease), read at {@code readAtMs}. */
  private record Heartbeat(long atMs, long readAtMs) {}

  private final EtcdAdminStore store;
  private final ExecutorService reader;
  private final LongSupplier millis;
  private final int count;
  private final Function<String, OptionalLong> aliveLease;
  private final AtomicBoolean reading = new AtomicBoolean();
  private final AtomicBoolean readingHeartbeats = new AtomicBoolean();
  private final Map<String, Heartbeat> heartbeats = new ConcurrentHashMap<>();
  private volatile Read last = new Read(-1, Long.MIN_VALUE / 2, List.of(), Map.of(), List.of(),
      0, 0);

  /**
   * @param millis the clock that ages the replica list
   * @param count how many of the newest changes to keep
   * @param aliveLease the lease of a node's alive key, as the cache knows it
   */
  public StatusReads(EtcdAdminStore store, ExecutorService reader, LongSupplier millis,
      int count, Function<String, OptionalLong> aliveLease) {
    this.store = store;
    this.aliveLease = aliveLease;
    this.reader = reader;
    this.millis = millis;
    this.count = count;
  }

  /**
   * The newest notable changes read so far (oldest first; routine revivals and reports left
   * out), each node's last change, and how far back the history goes; starts a read if
   * {@code version} is newer.
   */
  public History history(long version) {
    Read read = current(version);
    return new History(read.changes(), read.lastOf(), read.oldestVersion(), read.oldestAtMs());
  }

  /** The replicas as last read; starts a read if they are old. */
  public List<FacadeRecord> replicas(long version) {
    return current(version).replicas();
  }

  /**
   * When each of {@code nodeIds} last heartbeated, as its lease tells: unix ms (up to a second
   * early), 0 for a node without a live lease, absent where not read yet. Starts a read of those
   * read longer than {@link #HEARTBEATS_EVERY_MS} ago.
   */
  public Map<String, Long> lastHeartbeats(List<String> nodeIds) {
    long now = millis.getAsLong();
    Map<String, Long> known = new HashMap<>();
    List<String> stale = new ArrayList<>();
    for (String id : nodeIds) {
      Heartbeat read = heartbeats.get(id);
      if (read != null && now - read.readAtMs() < HEARTBEATS_KEPT_MS) {
        known.put(id, read.atMs());
      }
      if (read == null || now - read.readAtMs() >= HEARTBEATS_EVERY_MS) {
        stale.add(id);
      }
    }
    if (!stale.isEmpty() && readingHeartbeats.compareAndSet(false, true)) {
      try {
        reader.execute(() -> readHeartbeats(stale));
      } catch (RejectedExecutionException e) {
        readingHeartbeats.set(false);
      }
    }
    return known;
  }

  private void readHeartbeats(List<String> nodeIds) {
    try {
      Map<String, OptionalLong> leaseOf = new HashMap<>();
      nodeIds.forEach(id -> leaseOf.put(id, aliveLease.apply(id)));
      Map<Long, Long> ages = store.secondsSinceRenewal(leaseOf.values().stream()
          .filter(OptionalLong::isPresent).map(OptionalLong::getAsLong).toList());
      long now = millis.getAsLong();
      leaseOf.forEach((id, lease) -> {
        Long age = lease.isPresent() ? ages.get(lease.getAsLong()) : null;
        if (lease.isEmpty()) {
          heartbeats.put(id, new Heartbeat(0, now));
        } else if (age != null) {
          heartbeats.put(id, new Heartbeat(now - age * 1000, now));
        } // else etcd did not answer for it, or the lease just ended: the next read will tell
      });
      heartbeats.values().removeIf(read -> now - read.readAtMs() >= HEARTBEATS_KEPT_MS);
    } catch (RuntimeException e) {
      log.debug("status page: lease times not read: {}", e.toString());
    } finally {
      readingHeartbeats.set(false);
    }
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
      List<Change> read = store.changes(Math.max(0, version - CHANGES_READ), version).stream()
          .map(ChangeHistory::change).toList();
      Map<String, Change> lastOf = new HashMap<>();
      read.forEach(c -> lastOf.put(c.getNodeId(), c));
      List<Change> notable = read.stream().filter(c -> !ROUTINE.contains(c.getReason())).toList();
      List<EtcdAdminStore.ChangeTime> oldest = store.oldestChanges(1);
      last = new Read(version, millis.getAsLong(),
          notable.subList(Math.max(0, notable.size() - count), notable.size()), lastOf,
          store.replicas(), oldest.isEmpty() ? 0 : oldest.get(0).version(),
          oldest.isEmpty() ? 0 : oldest.get(0).atMs());
    } catch (RuntimeException e) {
      log.debug("status page: etcd not read: {}", e.toString());
    } finally {
      reading.set(false);
    }
  }
}
