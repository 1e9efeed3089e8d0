package io.gitstratum.coordinator.facade.etcd;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;

/**
 * The etcd members this replica found silent (a renewal or a commit left unanswered, a status
 * not answered), by their index in the configured endpoints. One per replica, shared by the
 * keep-alive lanes and the writer's member routes, so what one of them finds out the others
 * skip at once instead of each paying its own etcd timeout there. A silent member is avoided
 * for {@link #AVOIDED_FOR} etcd timeouts, then tried again. Thread-safe.
 */
public final class SilentMembers {
  /** How long, in etcd timeouts, a member found silent is avoided. */
  public static final int AVOIDED_FOR = 10;

  private final long avoidNanos;

  /** Per member: {@code System.nanoTime()} until which it is avoided (0: never was silent). */
  @GuardedBy("this")
  private final long[] until;

  public SilentMembers(int members, Duration timeout) {
    this.until = new long[members];
    this.avoidNanos = timeout.toNanos() * AVOIDED_FOR;
  }

  /** How long a member found silent is avoided. */
  public Duration avoidedFor() {
    return Duration.ofNanos(avoidNanos);
  }

  /** {@code member} is avoided from now on; true if it was not being avoided already. */
  public synchronized boolean markSilent(int member) {
    long now = System.nanoTime();
    boolean already = avoided(member, now);
    until[member] = now + avoidNanos;
    return !already;
  }

  /** Whether {@code member} is being avoided. */
  public synchronized boolean isAvoided(int member) {
    return avoided(member, System.nanoTime());
  }

  /**
   * Whether some member other than {@code member} is not being avoided: only then is there
   * anywhere better to go. A lone member (or every member) found silent is slow as often as it
   * is gone, and what waits there has nowhere else to be answered.
   */
  public synchronized boolean othersAnswering(int member) {
    long now = System.nanoTime();
    for (int i = 0; i < until.length; i++) {
      if (i != member && !avoided(i, now)) {
        return true;
      }
    }
    return false;
  }

  /**
   * From {@code from} on, taken in turn, the first member not being avoided; when every member
   * is, the one whose time is up first.
   */
  public synchronized int nextAnswering(int from) {
    long now = System.nanoTime();
    int n = until.length;
    for (int step = 0; step < n; step++) {
      int candidate = Math.floorMod(from + step, n);
      if (!avoided(candidate, now)) {
        return candidate;
      }
    }
    int soonest = 0;
    for (int i = 1; i < n; i++) {
      if (until[i] - until[soonest] < 0) {
        soonest = i;
      }
    }
    return soonest;
  }

  @GuardedBy("this")
  private boolean avoided(int member, long now) {
    return until[member] != 0 && until[member] - now > 0;
  }
}
