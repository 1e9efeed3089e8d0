package io.gitstratum.coordinator.client.agent;

/**
 * Where a {@link NodeAgent} is in its node's lifecycle, as the facade last acknowledged it.
 *
 * <pre>
 * NEW ──start()──► JOINING ──markReady()──► ACTIVE ──drain()──► DRAINING
 *  any ──close()──► CLOSED          any ──FAILED_PRECONDITION──► REPLACED
 * </pre>
 */
public enum AgentState {
  /** Built, not registered yet. */
  NEW,
  /** Registered; the service is not ready to serve. */
  JOINING,
  /** Reported ready; the node serves. */
  ACTIVE,
  /** Reported leaving; writes no longer land on it. */
  DRAINING,
  /**
   * Stopped because another process registered the same node id with another generation (this
   * process is a zombie). Terminal: the agent sends nothing more and does not deregister, since
   * the id now belongs to the other process.
   */
  REPLACED,
  /** Closed (and deregistered unless REPLACED first). Terminal. */
  CLOSED;

  /** Whether the agent has stopped for good. */
  public boolean isTerminal() {
    return this == REPLACED || this == CLOSED;
  }
}
