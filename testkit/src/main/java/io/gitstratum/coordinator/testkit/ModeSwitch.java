package io.gitstratum.coordinator.testkit;

import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fault mode of one {@link FaultProxy} and the one lock that every thread of that proxy
 * waits on.
 *
 * <p>A single lock (rather than one per connection) is what lets a mode change reach every
 * connection atomically: {@link FaultProxy#reset()} can stop all connections and return to pass
 * in one step, so bytes held by a black hole cannot slip out between the two. Each waiting party
 * registers its own {@link Condition}, so that queue traffic on one connection wakes only that
 * connection while a mode change wakes them all.
 */
final class ModeSwitch {

  /** What the proxy does to bytes right now. */
  enum Kind {
    PASS,
    DELAY_RESPONSES,
    BLACK_HOLE
  }

  /** A mode: its kind, and for {@link Kind#DELAY_RESPONSES} the delay in nanoseconds. */
  record Mode(Kind kind, long responseDelayNanos) {

    static final Mode PASS = new Mode(Kind.PASS, 0);
    static final Mode BLACK_HOLE = new Mode(Kind.BLACK_HOLE, 0);

    /** About 73 years: far beyond any test, and small enough that elapsed + delay cannot overflow. */
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    static Mode delayResponses(Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("negative delay: " + delay);
      }
      // Saturate rather than overflow: Duration.ofDays(10_000) must mean "forever", not a past time.
      long nanos =
          delay.compareTo(Duration.ofNanos(MAX_DELAY_NANOS)) > 0 ? MAX_DELAY_NANOS : delay.toNanos();
      return new Mode(Kind.DELAY_RESPONSES, nanos);
    }

    /** A black hole moves no bytes in either direction; every other mode moves them. */
    boolean holds() {
      return kind == Kind.BLACK_HOLE;
    }

    /** How long bytes flowing in this direction wait after they arrived at the proxy. */
    long delayNanos(boolean responseDirection) {
      return responseDirection ? responseDelayNanos : 0;
    }

    @Override
    public String toString() {
      return kind == Kind.DELAY_RESPONSES
          ? "delay responses " + Duration.ofNanos(responseDelayNanos)
          : kind.name().toLowerCase(Locale.ROOT);
    }
  }

  /** Guards the mode, the registered conditions and the state of every connection and pipe. */
  final ReentrantLock lock = new ReentrantLock();

  private Mode mode = Mode.PASS; // guarded by lock
  private final Set<Condition> waiters = new HashSet<>(); // guarded by lock

  /** A condition on {@link #lock} that is signalled on every mode change until unregistered. */
  Condition register() {
    lock.lock();
    try {
      Condition condition = lock.newCondition();
      waiters.add(condition);
      return condition;
    } finally {
      lock.unlock();
    }
  }

  void unregister(Condition condition) {
    lock.lock();
    try {
      waiters.remove(condition);
    } finally {
      lock.unlock();
    }
  }

  /** Assumes {@link #lock} is held. */
  Mode modeLocked() {
    assert lock.isHeldByCurrentThread();
    return mode;
  }

  /** Assumes {@link #lock} is held; wakes every registered waiter to re-evaluate. */
  void setLocked(Mode newMode) {
    assert lock.isHeldByCurrentThread();
    mode = newMode;
    for (Condition condition : waiters) {
      condition.signalAll();
    }
  }

  void set(Mode newMode) {
    lock.lock();
    try {
      setLocked(newMode);
    } finally {
      lock.unlock();
    }
  }

  Mode mode() {
    lock.lock();
    try {
      return mode;
    } finally {
      lock.unlock();
    }
  }
}
