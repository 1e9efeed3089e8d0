package io.gitstratum.coordinator.facade.store;

/**
 * The answer to a compare-and-swap commit.
 *
 * @param committed false when the version key moved since the snapshot (another writer won)
 * @param revision the revision of the commit, or etcd's current revision when it lost
 */
public record CommitResult(boolean committed, long revision) {}
