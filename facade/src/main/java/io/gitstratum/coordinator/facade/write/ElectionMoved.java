package io.gitstratum.coordinator.facade.write;

/**
 * {@link BatchCommit}'s word to {@link TopologyWriter} that a detector fence failed: the election
 * key is now the one created at {@code createRevision} (0: absent), so decisions fenced by any
 * other win can never commit, and the rest of the batch can go again without them.
 */
final class ElectionMoved extends RuntimeException {
  final long createRevision;

  ElectionMoved(long createRevision) {
    super("the detector election key is now the one created at revision " + createRevision, null,
        false, false);
    this.createRevision = createRevision;
  }
}
