package io.gitstratum.coordinator.facade.history;

import io.grpc.Status;

/**
 * One client call as the history records it: what was asked of which replica, when it was sent
 * and answered ({@link System#nanoTime()}), and what came back.
 *
 * @param id position in the history, for messages
 * @param client the client that sent it (one call at a time per client)
 * @param replica the replica instance it went to ("r1#2": slot 1, second start)
 * @param generation the request's generation id; empty on a deregistration that names none
 * @param address the registered address (registrations only)
 * @param port the registered port (registrations only)
 */
public record Operation(int id, String client, String replica, Kind kind, String nodeId,
    String generation, String address, int port, long invokedNanos, long completedNanos,
    Outcome outcome) {

  public enum Kind { REGISTER, DEREGISTER, HEARTBEAT }

  /** What the caller learned. */
  public sealed interface Outcome {}

  /**
   * An answer: RegisterNode's and DeregisterNode's topology_version, Heartbeat's
   * current_version; {@code alreadyRegistered} only for RegisterNode.
   */
  public record Ok(long version, boolean alreadyRegistered) implements Outcome {}

  /** A definite refusal: nothing was written. */
  public record Failed(Status.Code code, String message) implements Outcome {}

  /**
   * UNAVAILABLE, a deadline, a replica killed under the call: the write may or may not have
   * happened, and the model allows both.
   */
  public record Unknown(String why) implements Outcome {}

  public boolean isWrite() {
    return kind != Kind.HEARTBEAT;
  }

  @Override
  public String toString() {
    String what = switch (kind) {
      case REGISTER -> "register " + nodeId + "/" + generation + "@" + address + ":" + port;
      case DEREGISTER -> "deregister " + nodeId + (generation.isEmpty() ? "" : "/" + generation);
      case HEARTBEAT -> "heartbeat " + nodeId + "/" + generation;
    };
    return "#" + id + " " + client + "->" + replica + " " + what + " => " + outcome;
  }
}
