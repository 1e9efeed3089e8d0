package io.gitstratum.coordinator.bench.capacity;

import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

/**
 * The open-loop clock of the capacity probes: node i is due once per {@code interval} at its own
 * fixed phase, the fractional part of i times the golden ratio, so the first n nodes are spread
 * evenly over the interval for any n and adding nodes never moves the existing ones. One thread
 * calls {@link Sender#send} for each due node with the time it was due, whatever the answers do.
 * {@link #close()} stops it.
 */
final class PhasedSchedule implements AutoCloseable {
  private static final double GOLDEN = 0.6180339887498949;

  /** Sends node {@code node}'s message, due at {@code scheduledNanos} ({@link System#nanoTime}). */
  @FunctionalInterface
  interface Sender {
    void send(int node, long scheduledNanos);
  }

  private final long intervalNanos;
  private final Sender sender;
  private final Thread thread;
  private volatile int nodes;
  private volatile boolean closed;

  PhasedSchedule(String name, Duration interval, Sender sender) {
    this.intervalNanos = interval.toNanos();
    this.sender = sender;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Nodes {@code 0..n-1} are due from now on; a new node starts at its next phase. */
  void nodes(int n) {
    this.nodes = n;
  }

  boolean closed() {
    return closed;
  }

  private long phase(int node) {
    double fraction = (node * GOLDEN) % 1.0;
    return (long) (fraction * intervalNanos);
  }

  private void run() {
    int n = 0;
    long[] phases = new long[0]; // sorted
    int[] byPhase = new int[0];
    int next = 0; // index into the sorted phases, within the current cycle
    long cycleStart = System.nanoTime();
    while (!closed) {
      long now = System.nanoTime();
      if (now - cycleStart >= intervalNanos) {
        // Finish the cycle that ended, then start the next one.
        for (; next < n; next++) {
          sender.send(byPhase[next], cycleStart + phases[next]);
        }
        cycleStart += intervalNanos;
        next = 0;
        continue;
      }
      long elapsed = now - cycleStart;
      while (next < n && phases[next] <= elapsed && !closed) {
        sender.send(byPhase[next], cycleStart + phases[next]);
        next++;
      }
      int target = nodes;
      if (target != n) {
        n = target;
        byPhase = IntStream.range(0, n).boxed()
            .sorted(Comparator.comparingLong(this::phase))
            .mapToInt(Integer::intValue).toArray();
        phases = new long[n];
        for (int i = 0; i < n; i++) {
          phases[i] = phase(byPhase[i]);
        }
        // Continue the current cycle: every node whose phase has passed was sent above, and a
        // new node whose phase has passed starts in the next cycle.
        next = 0;
        while (next < n && phases[next] <= elapsed) {
          next++;
        }
      }
      long wake = next < n ? phases[next] - elapsed : intervalNanos - elapsed;
      LockSupport.parkNanos(Math.max(50_000, Math.min(5_000_000, wake)));
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
