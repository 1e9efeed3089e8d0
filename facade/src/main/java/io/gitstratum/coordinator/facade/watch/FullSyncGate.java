package io.gitstratum.coordinator.facade.watch;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bounds the full_sync bytes this replica has handed to gRPC and not yet sent. gRPC copies a
 * message whole into the stream's outbound buffers when it is sent, so ten thousand streams
 * starting with a 16 MB full_sync at once would need ten thousand copies. Here they take turns,
 * first come first served: a stream sends its full_sync when the bytes in transit leave room for
 * it (always when none are), holds its share until gRPC reports the stream ready again (the
 * bytes left), and in the meantime waits holding nothing. Thread-safe; {@code wake} callbacks
 * run outside the lock.
 */
final class FullSyncGate {
  private final long budget;

  @GuardedBy("this")
  private long inTransit;

  /** Waiting streams in arrival order, each with what to run when it may try again. */
  @GuardedBy("this")
  private final Map<Object, Runnable> waiting = new LinkedHashMap<>();

  /** @param budget bytes in transit at once; one message larger than this still goes alone */
  FullSyncGate(long budget) {
    this.budget = budget;
  }

  /**
   * Takes {@code bytes} for {@code who} if it is its turn and they fit; else queues {@code who}
   * (once) and runs {@code wake} when it may try again.
   *
   * @return true when the caller may send now and must {@link #release} the bytes afterwards
   */
  boolean tryAcquire(Object who, long bytes, Runnable wake) {
    Runnable next;
    synchronized (this) {
      boolean first = waiting.isEmpty() || waiting.keySet().iterator().next() == who;
      if (!first || (inTransit > 0 && inTransit + bytes > budget)) {
        waiting.putIfAbsent(who, wake);
        return false;
      }
      waiting.remove(who);
      inTransit += bytes;
      next = head();
    }
    run(next); // the next may fit too
    return true;
  }

  /** Bytes taken by {@link #tryAcquire} have left. */
  void release(long bytes) {
    Runnable next;
    synchronized (this) {
      inTransit -= bytes;
      next = head();
    }
    run(next);
  }

  /** {@code who} no longer waits (its stream ended). */
  void cancel(Object who) {
    Runnable next;
    synchronized (this) {
      boolean first = !waiting.isEmpty() && waiting.keySet().iterator().next() == who;
      if (waiting.remove(who) == null || !first) {
        return; // nobody's turn changed
      }
      next = head();
    }
    run(next);
  }

  synchronized long inTransit() {
    return inTransit;
  }

  synchronized int waiting() {
    return waiting.size();
  }

  @GuardedBy("this")
  private Runnable head() {
    return waiting.isEmpty() ? null : waiting.values().iterator().next();
  }

  private static void run(Runnable wake) {
    if (wake != null) {
      wake.run();
    }
  }
}
