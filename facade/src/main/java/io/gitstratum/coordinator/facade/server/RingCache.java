package io.gitstratum.coordinator.facade.server;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/** The hash ring of the latest topology asked for, rebuilt only when the topology changes. Thread-safe. */
@Singleton
public final class RingCache {
  private record Entry(Topology topology, ConsistentHashRing ring) {}

  private volatile Entry last;

  @Inject
  public RingCache() {}

  public ConsistentHashRing ringFor(Topology topology) {
    Entry entry = last;
    if (entry == null || entry.topology() != topology) {
      entry = new Entry(topology,
          ConsistentHashRing.fromNodes(topology.nodes(), topology.ringConfig()));
      last = entry;
    }
    return entry.ring();
  }
}
