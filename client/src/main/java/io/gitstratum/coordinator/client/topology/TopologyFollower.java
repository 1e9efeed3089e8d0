package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.TopologyUpdate;

/**
 * The pure state machine of a watch stream's consumer: which messages change the held topology
 * and which mean the stream cannot be trusted any more (CONTRACT.md guarantee 4).
 *
 * <ul>
 *   <li>{@code keepalive}: ignored.
 *   <li>{@code lagged}: the facade dropped changes for this stream; a {@code full_sync} must
 *       come next, and anything else before it is a protocol error.
 *   <li>{@code full_sync}: replaces everything (it is self-contained, so it is accepted whatever
 *       its previous_version).
 *   <li>a change: applied when its previous_version is the version held and it advances by 1;
 *       ignored when it is not newer than the version held (a repeat); otherwise it is a gap.
 *       A change before the first {@code full_sync} is a protocol error.
 * </ul>
 *
 * <p>Not thread-safe; the {@link TopologyStream} confines it to its lock.
 */
final class TopologyFollower {

  /** What a message did. */
  enum Kind {
    /** A change was applied. */
    APPLIED,
    /** A full_sync replaced the topology. */
    RESYNCED,
    /** Nothing to do (keepalive, lagged, repeat, unknown message type). */
    IGNORED,
    /** The stream is unusable (gap, protocol error): resume from {@link #version()}. */
    RESUME
  }

  /** The outcome of one message: the topology before and after, and why when not applied. */
  record Step(Kind kind, Topology before, Topology after, TopologyUpdate update, String reason) {}

  private Topology held = Topology.empty();
  private boolean synced;
  private boolean awaitingFullSync;

  Topology topology() {
    return held;
  }

  /** Whether a full_sync has been applied (so {@link #version()} is a valid resume point). */
  boolean synced() {
    return synced;
  }

  long version() {
    return held.version();
  }

  Step accept(TopologyUpdate update) {
    Topology before = held;
    switch (update.getUpdateCase()) {
      case KEEPALIVE:
        return step(Kind.IGNORED, before, update, "keepalive");
      case LAGGED:
        awaitingFullSync = true;
        return step(Kind.IGNORED, before, update, "lagged: " + update.getLagged().getMessage());
      case FULL_SYNC:
        held = Topology.fromResponse(update.getFullSync());
        synced = true;
        awaitingFullSync = false;
        return new Step(Kind.RESYNCED, before, held, update, "full_sync");
      case UPDATE_NOT_SET:
        // A message type newer than this client: it carries no change we could apply.
        return step(Kind.IGNORED, before, update, "unknown message type");
      default:
        break;
    }
    if (!synced) {
      return step(Kind.RESUME, before, update, "change " + update.getVersion()
          + " before the first full_sync");
    }
    if (awaitingFullSync) {
      return step(Kind.RESUME, before, update, "change " + update.getVersion()
          + " after lagged, where a full_sync was due");
    }
    if (update.getVersion() <= held.version()) {
      return step(Kind.IGNORED, before, update, "repeat of version " + update.getVersion());
    }
    if (update.getPreviousVersion() != held.version()
        || update.getVersion() != held.version() + 1) {
      return step(Kind.RESUME, before, update, "gap: update " + update.getPreviousVersion()
          + " -> " + update.getVersion() + " does not follow held version " + held.version());
    }
    held = held.apply(update);
    return new Step(Kind.APPLIED, before, held, update, "change");
  }

  private static Step step(Kind kind, Topology before, TopologyUpdate update, String reason) {
    return new Step(kind, before, before, update, reason);
  }
}
