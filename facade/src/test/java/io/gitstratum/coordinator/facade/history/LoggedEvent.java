package io.gitstratum.coordinator.facade.history;

import io.gitstratum.coordinator.proto.TopologyUpdate;

/**
 * One change event of etcd's log ({@code P/events/}), as a watch straight on etcd received it,
 * and when ({@link System#nanoTime()}): it was committed before that moment.
 */
public record LoggedEvent(TopologyUpdate update, long arrivedNanos) {
  public long version() {
    return update.getVersion();
  }
}
