package io.gitstratum.coordinator.facade.core;

/**
 * A key a transition's decision rests on, checked by etcd in the same transaction. The
 * detector decides from this replica's cache, which can be a moment behind etcd: a node whose
 * lease was re-attached through another replica must not be suspected on the stale view, and
 * the version key does not move for a re-attach, so only comparing the key itself catches it.
 */
public sealed interface LivenessGuard {
  String nodeId();

  /** {@code P/alive/<id>} does not exist: the node's lease is gone. */
  record AliveAbsent(String nodeId) implements LivenessGuard {}

  /** {@code P/grace/<id>} does not exist: the node's grace period is over. */
  record GraceAbsent(String nodeId) implements LivenessGuard {}

  /**
   * {@code P/detector/pause} does not exist: no operator has paused SUSPECT→DOWN. A DOWN decided
   * before a pause (queued behind a slow etcd) must not commit after it was acknowledged.
   */
  record PauseAbsent() implements LivenessGuard {
    @Override
    public String nodeId() {
      return ""; // one key for every node: one compare per transaction
    }
  }

  /**
   * {@code P/election/detector} is still the key this replica created when it won the detector
   * election ({@code createRevision}, the revision of that win): the fence of a detector
   * decision. A detector whose session etcd has expired learns it only at its next election
   * tick, while a rival may already lead; with this compare its decisions fail in etcd instead
   * of committing next to the new leader's.
   */
  record ElectionHeld(long createRevision) implements LivenessGuard {
    @Override
    public String nodeId() {
      return "";
    }
  }
}
