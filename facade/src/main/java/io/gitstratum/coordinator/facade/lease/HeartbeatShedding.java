package io.gitstratum.coordinator.facade.lease;

/**
 * Whether a heartbeat's lease renewal is refused before it is sent, by deadline: from how long
 * its lease has left and how long renewals now wait on the keep-alive stream it would join;
 * pure. etcd answers a stream's renewals in turn, so the oldest renewal's wait is about what
 * this one would add to its own.
 *
 * <ul>
 *   <li>The queue is <em>pressed</em> when it stands (at least {@link #MIN_BACKLOG} renewals
 *       waiting, the oldest for {@code shedAfter} or more, and every renewal answered for the
 *       last {@link #STANDING} x {@code shedAfter} having waited that long too) or when the
 *       oldest renewal has waited half the etcd timeout. A burst (a GC pause, the first moments
 *       of a registration storm) drains within that time and refuses nothing; one slow renewal
 *       (etcd holds the renewal of a lease that has just expired until it has revoked it)
 *       neither.
 *   <li>While pressed, a heartbeat is refused only when its lease can afford it: with the
 *       queue's wait taken off, the lease outlasts {@code spare} (the node's next regular
 *       heartbeat plus one etcd timeout for that renewal, and at least half the lease, past
 *       which the client library retries at once). A lease closer to its end, or one
 *       this replica does not know (renewed elsewhere, or not at all yet), is admitted: the
 *       heartbeats that would otherwise cost their node its liveness go first.
 *   <li>Whatever the lease, a renewal is refused once the oldest one waiting has waited the
 *       whole etcd timeout: this one would time out too, a keep-alive sent for nothing.
 * </ul>
 *
 * @param shedAfterNanos the standing queue's wait ({@code --heartbeat-shed-after}); 0 turns
 *     shedding off entirely
 * @param timeoutNanos the etcd timeout: the longest a renewal is waited for
 * @param spareNanos how much lease a refused node must keep: its heartbeat interval plus the
 *     etcd timeout, at least half the lease's TTL
 */
record HeartbeatShedding(long shedAfterNanos, long timeoutNanos, long spareNanos) {
  /** Renewals that must be waiting on a stream before a standing queue sheds. */
  static final int MIN_BACKLOG = 16;

  /** How many times {@code shedAfter} renewals must keep waiting before the queue stands. */
  static final int STANDING = 10;

  /** A stream's queue: renewals waiting, the oldest's wait, how long answers have been slow. */
  record Backlog(int waiting, long oldestWaitNanos, long slowForNanos) {}

  /**
   * @param leaseLeftNanos how long the node's lease has left as far as this replica knows (from
   *     the send time of its last renewal answered); 0 or less when not known
   */
  boolean refuse(Backlog backlog, long leaseLeftNanos) {
    if (shedAfterNanos <= 0 || backlog.waiting() == 0) {
      return false;
    }
    long wait = backlog.oldestWaitNanos();
    if (wait >= timeoutNanos) {
      return true;
    }
    boolean standing = backlog.waiting() >= MIN_BACKLOG && wait >= shedAfterNanos
        && backlog.slowForNanos() >= STANDING * shedAfterNanos;
    boolean pressed = standing || wait >= timeoutNanos / 2;
    return pressed && leaseLeftNanos - wait > spareNanos;
  }
}
