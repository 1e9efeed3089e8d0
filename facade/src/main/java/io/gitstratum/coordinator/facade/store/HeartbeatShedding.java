package io.gitstratum.coordinator.facade.store;

/**
 * Whether a heartbeat's lease renewal is refused before it is sent, from the state of the
 * keep-alive stream it would wait on; pure. etcd answers a stream's renewals in turn, so the
 * oldest renewal's wait is about what this one would add to its own.
 *
 * <ul>
 *   <li>A standing queue sheds: at least {@link #MIN_BACKLOG} renewals waiting, the oldest for
 *       {@code shedAfter} or more, and every renewal answered for the last {@link #STANDING} x
 *       {@code shedAfter} having waited that long too. A burst (a GC pause, the first moments of
 *       a registration storm) drains within that time and refuses nothing; one slow renewal (etcd
 *       holds the renewal of a lease that has just expired until it has revoked it) neither.
 *   <li>Only a lease that a heartbeat renewed within the last half of its TTL is shed that way:
 *       shedding delays a node's renewal, it does not cost the node its liveness.
 *   <li>A heartbeat that already waited {@link #STANDING} x {@code shedAfter} in the replica
 *       before its renewal (for a thread: the replica itself is short of CPU) is shed the same
 *       way, before it costs etcd anything.
 *   <li>Whatever the lease, a renewal is refused when the oldest one waiting, or the heartbeat
 *       itself, has waited half the etcd timeout: the replica or etcd no longer keeps up, this
 *       one would likely time out too, and sending it would only take time from the renewals
 *       that can still make it.
 * </ul>
 *
 * @param shedAfterNanos the standing queue's wait ({@code --heartbeat-shed-after}); 0 turns
 *     shedding off entirely
 * @param hopelessNanos the wait past which a renewal would likely time out
 */
record HeartbeatShedding(long shedAfterNanos, long hopelessNanos) {
  /** Renewals that must be waiting on a stream before a standing queue sheds. */
  static final int MIN_BACKLOG = 16;

  /** How many times {@code shedAfter} renewals must keep waiting before the queue stands. */
  static final int STANDING = 10;

  /** A stream's queue: renewals waiting, the oldest's wait, how long answers have been slow. */
  record Backlog(int waiting, long oldestWaitNanos, long slowForNanos) {}

  /** @param renewedRecently whether a heartbeat renewed the lease within half its TTL */
  boolean refuse(Backlog backlog, boolean renewedRecently) {
    if (shedAfterNanos <= 0) {
      return false;
    }
    if (backlog.waiting() > 0 && backlog.oldestWaitNanos() >= hopelessNanos) {
      return true;
    }
    if (!renewedRecently) {
      return false;
    }
    return backlog.waiting() >= MIN_BACKLOG
        && backlog.oldestWaitNanos() >= shedAfterNanos
        && backlog.slowForNanos() >= STANDING * shedAfterNanos;
  }
}
