package io.gitstratum.coordinator.facade.store;

/**
 * What etcd holds after a commit whose answer never came (a deadline passed, the connection
 * broke): the transaction may or may not have been applied, and only a read can tell.
 *
 * @param revision the commit's revision when {@link Outcome#COMMITTED}
 * @param etcdAnswered false when the read itself went unanswered (etcd unreachable from here)
 */
public record CommitCheck(Outcome outcome, long revision, boolean etcdAnswered) {
  public enum Outcome {
    /** etcd holds what the transaction wrote. */
    COMMITTED,
    /** It was not applied and can no longer be: the version key moved past its compare. */
    NOT_COMMITTED,
    /** Not applied yet, but it may still be (or etcd could not be read): assume either. */
    UNKNOWN
  }

  public CommitCheck(Outcome outcome, long revision) {
    this(outcome, revision, true);
  }

  /** etcd answered, but nothing it holds tells the outcome yet. */
  public static CommitCheck unknown() {
    return new CommitCheck(Outcome.UNKNOWN, 0);
  }

  /** The read went unanswered too. */
  public static CommitCheck unreachable() {
    return new CommitCheck(Outcome.UNKNOWN, 0, false);
  }
}
