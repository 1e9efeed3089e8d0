package io.gitstratum.coordinator.facade.core;

/**
 * etcd refused a detector decision because its {@link LivenessGuard.ElectionHeld} fence failed:
 * the election key is gone or another replica's. A known outcome, not an unknown one: nothing
 * was written, and the decision must not be retried, since this replica no longer leads.
 */
public final class FencedOutException extends RuntimeException {
  private final long createRevision;

  public FencedOutException(long createRevision) {
    super("the detector election key is no longer the one created at revision " + createRevision
        + ": this replica no longer leads the failure detector", null, false, false);
    this.createRevision = createRevision;
  }

  /** The election win (its create revision) the refused decision was made under. */
  public long createRevision() {
    return createRevision;
  }
}
