package io.gitstratum.coordinator.facade.watch;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Replays from etcd's event log for resuming streams, shared between them. A replica that has
 * just started holds no events in memory, and a thousand clients resuming together must not each
 * read the log: one read takes the widest window a replay may span (the last {@code limit}
 * events up to the version asked for, or what the log still holds of them), and serves every
 * stream whose version falls inside; streams arriving while it runs wait for it. One window is
 * kept, at most {@code limit} events. Thread-safe.
 */
final class SharedLogReplay {
  /** The events after {@code after} up to {@code upTo}, consecutive. */
  private record Window(long after, long upTo, List<TopologyUpdate> events) {
    boolean covers(long since, long to) {
      return since >= after && to <= upTo;
    }

    List<TopologyUpdate> slice(long since, long to) {
      return events.subList((int) (since - after), (int) (to - after));
    }
  }

  private final EtcdTopologyStore store;
  private final int limit;
  @GuardedBy("this")
  private Window window;
  @GuardedBy("this")
  private CompletableFuture<Optional<Window>> reading;
  @GuardedBy("this")
  private long readingAfter;
  @GuardedBy("this")
  private long readingUpTo;

  SharedLogReplay(EtcdTopologyStore store, int limit) {
    this.store = store;
    this.limit = limit;
  }

  /** The events after {@code since} up to {@code upTo}, or empty when the log lacks some. */
  Optional<List<TopologyUpdate>> replay(long since, long upTo) {
    if (upTo - since > limit) {
      return Optional.empty();
    }
    CompletableFuture<Optional<Window>> read;
    long after;
    synchronized (this) {
      if (window != null && window.covers(since, upTo)) {
        return Optional.of(window.slice(since, upTo));
      }
      if (reading != null && since >= readingAfter && upTo <= readingUpTo) {
        read = reading;
        after = -1; // another stream's read
      } else {
        read = new CompletableFuture<>();
        after = Math.max(0, upTo - limit);
        reading = read;
        readingAfter = after;
        readingUpTo = upTo;
      }
    }
    if (after >= 0) {
      readWindow(read, after, upTo);
    }
    Optional<Window> found = Completions.join(read);
    return found.filter(w -> w.covers(since, upTo)).map(w -> w.slice(since, upTo));
  }

  private void readWindow(CompletableFuture<Optional<Window>> read, long after, long upTo) {
    Optional<Window> found = Optional.empty();
    try {
      found = store.readEventTail(after, upTo).map(events ->
          new Window(events.get(0).getPreviousVersion(), upTo, List.copyOf(events)));
      read.complete(found);
    } catch (RuntimeException e) {
      read.completeExceptionally(e);
    } finally {
      synchronized (this) {
        if (reading == read) {
          reading = null;
        }
        if (found.isPresent() && (window == null || window.upTo() <= upTo)) {
          window = found.get();
        }
      }
    }
  }
}
