package io.gitstratum.coordinator.facade.history;

/** One way a history breaks the sequential model, with the evidence. */
public record Violation(Rule rule, String detail) {

  public enum Rule {
    /** etcd's log skips, repeats or reorders a version. */
    LOG_NOT_DENSE,
    /** A logged change is impossible on the topology before it (adds a present node, ...). */
    ILLEGAL_CHANGE,
    /** A logged change no client call (or the detector) could have made. */
    UNEXPLAINED_CHANGE,
    /** An acknowledged write is not what etcd holds at the version it was acknowledged with. */
    ACK_NOT_VISIBLE,
    /** Two acknowledged writes claim to be the change at one version. */
    DUPLICATE_CLAIM,
    /** An acknowledgement older than one the caller could already have seen. */
    STALE_ACK,
    /** A refusal the topology never justified, or a code no valid request should get. */
    WRONG_REFUSAL,
    /** A watch stream with a gap, a step back, or a bad previous_version. */
    WATCH_ORDER,
    /** A watch stream that delivered something other than etcd's change at that version. */
    WATCH_CONTENT,
    /** At the end, a replica's cache, or etcd's node records, differ from the replayed log. */
    FINAL_STATE
  }

  @Override
  public String toString() {
    return rule + ": " + detail;
  }
}
