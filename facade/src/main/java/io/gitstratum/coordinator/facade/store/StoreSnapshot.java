package io.gitstratum.coordinator.facade.store;

import io.gitstratum.coordinator.client.topology.Topology;
import java.util.Map;
import java.util.Set;

/**
 * The topology as etcd held it at one revision.
 *
 * @param alive node id → lease of its {@code P/alive/} key
 * @param grace node ids with a {@code P/grace/} key
 * @param revision the etcd revision of the read; a watch continues from {@code revision + 1}
 * @param versionModRevision the mod revision of the version key (0 when it does not exist yet);
 *     every topology change compares it
 */
public record StoreSnapshot(Topology topology, Map<String, Long> alive, Set<String> grace,
    long revision, long versionModRevision, long raftTerm) {
  public StoreSnapshot {
    alive = Map.copyOf(alive);
    grace = Set.copyOf(grace);
  }
}
