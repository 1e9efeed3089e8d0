package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;

/**
 * An etcd member did not become healthy: its process exited or {@code /health} stayed negative
 * until the deadline. The message carries the tail of the member's log.
 */
public final class EtcdStartException extends IOException {

  private static final long serialVersionUID = 1L;

  /** What etcd prints when a listen port is already taken by another process. */
  static final String PORT_IN_USE_MARKER = "address already in use";

  private final String memberName;
  private final boolean portConflict;

  EtcdStartException(String memberName, String message, String logTail) {
    super(message + "\n--- end of the log of etcd member " + memberName + " ---\n" + logTail);
    this.memberName = memberName;
    this.portConflict = logTail.contains(PORT_IN_USE_MARKER);
  }

  /** Name of the member that failed. */
  public String memberName() {
    return memberName;
  }

  /**
   * True when the log shows a port bind failure: with randomly picked ports this is a race with
   * another process, and starting again on fresh ports is the cure.
   */
  public boolean portConflict() {
    return portConflict;
  }
}
