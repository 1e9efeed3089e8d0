package io.gitstratum.coordinator.facade.watch;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The most recent change events, consecutive by version, at most {@code capacity} of them: what a
 * resuming watcher is replayed from before the event log in etcd is asked. Thread-safe.
 */
final class UpdateBuffer {
  private final int capacity;

  @GuardedBy("this")
  private final ArrayDeque<TopologyUpdate> updates;

  UpdateBuffer(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1");
    }
    this.capacity = capacity;
    this.updates = new ArrayDeque<>(Math.min(capacity, 1024));
  }

  /** Appends the next event; one that does not follow the newest empties the buffer first. */
  synchronized void add(TopologyUpdate update) {
    TopologyUpdate last = updates.peekLast();
    if (last != null && last.getVersion() != update.getPreviousVersion()) {
      updates.clear();
    }
    if (updates.size() == capacity) {
      updates.removeFirst();
    }
    updates.addLast(update);
  }

  synchronized void clear() {
    updates.clear();
  }

  synchronized int size() {
    return updates.size();
  }

  /**
   * The events after {@code version} up to the newest, if the buffer still holds all of them.
   * Empty list when {@code version} is the newest; empty Optional when events are missing.
   */
  synchronized Optional<List<TopologyUpdate>> after(long version) {
    TopologyUpdate first = updates.peekFirst();
    TopologyUpdate last = updates.peekLast();
    if (first == null || version < first.getPreviousVersion() || version > last.getVersion()) {
      return Optional.empty();
    }
    List<TopologyUpdate> out = new ArrayList<>((int) (last.getVersion() - version));
    for (TopologyUpdate update : updates) {
      if (update.getVersion() > version) {
        out.add(update);
      }
    }
    return Optional.of(out);
  }
}
