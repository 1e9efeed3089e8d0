package io.gitstratum.coordinator.facade.store;

import io.gitstratum.coordinator.client.topology.Topology;

/**
 * The topology as etcd held it at one revision.
 *
 * @param revision the etcd revision of the read; a watch continues from {@code revision + 1}
 * @param versionModRevision the mod revision of the version key (0 when it does not exist yet);
 *     every topology change compares it
 */
public record StoreSnapshot(Topology topology, long revision, long versionModRevision,
    long raftTerm) {}
