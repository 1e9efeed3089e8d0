package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;

/**
 * Hears the changes a {@link TopologyWatcher} applies, in version order, one call at a time,
 * from the watcher's stream thread. Each call gets the topology after the change, and the
 * watcher's lookups ({@code replicasFor}, ...) already answer from it. A listener must not block
 * (the stream waits for it); an exception it throws is logged and does not stop the watcher.
 * Every method defaults to doing nothing.
 */
public interface TopologyListener {

  /** A node registered. */
  default void nodeAdded(NodeInfo node, Topology topology) {}

  /** A node changed: state, address, port, labels or generation (a restarted process). */
  default void nodeUpdated(NodeInfo previous, NodeInfo current, Topology topology) {}

  /** A node deregistered; {@code removed} is its last known record. */
  default void nodeRemoved(NodeInfo removed, Topology topology) {}

  /** The ring configuration changed. */
  default void ringConfigChanged(HashRingConfig config, Topology topology) {}

  /**
   * The watcher replaced its whole topology with a {@code full_sync}: the first load (then
   * {@code previous} is empty at version 0), after {@code lagged}, or when the facade could not
   * replay the changes since the version held. Individual changes are not reported for it;
   * compare {@code previous} and {@code current} when they matter.
   */
  default void resynced(Topology previous, Topology current) {}
}
