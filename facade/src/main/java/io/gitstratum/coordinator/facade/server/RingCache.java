package io.gitstratum.coordinator.facade.server;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The hash ring of the latest topology asked for, rebuilt only when the topology changes and then
 * from the previous ring's points (only new members are hashed; a state change hashes nothing).
 * Every object node is a member whatever its state, so GetHashRing returns every member's points
 * as gitstratum's {@code get_ring_entries} does. Thread-safe.
 */
@Singleton
public final class RingCache {
  private record Entry(Topology topology, ConsistentHashRing ring) {}

  private volatile Entry last;

  @Inject
  public RingCache() {}

  public ConsistentHashRing ringFor(Topology topology) {
    Entry entry = last;
    if (entry == null || entry.topology() != topology) {
      ConsistentHashRing ring = entry == null
          ? ConsistentHashRing.fromNodes(topology.nodes(), topology.ringConfig())
          : entry.ring().update(topology.nodes(), topology.ringConfig());
      entry = new Entry(topology, ring);
      last = entry;
    }
    return entry.ring();
  }
}
