package io.gitstratum.coordinator.facade.metrics;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * At most one log line per key and interval, with the number of lines held back meanwhile: an
 * error repeated for every request or every node (an overloaded etcd, a full write queue) must
 * not flood the log with hundreds of thousands of lines, adding load exactly when there is too
 * much. Keys name a kind of event, never a node or a request, so that they stay few.
 * Thread-safe.
 */
public final class LogThrottle {
  private static final class Window {
    long loggedAt = Long.MIN_VALUE;
    long held;
  }

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  public LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  public LogThrottle(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * Writes {@code line}, given how many lines of this key were held back since the last one, if
   * none was written within the interval; else counts it.
   */
  public void log(String key, LongConsumer line) {
    Window window = windows.computeIfAbsent(key, k -> new Window());
    long held;
    synchronized (window) {
      long now = nanoTime.getAsLong();
      if (window.loggedAt != Long.MIN_VALUE && now - window.loggedAt < intervalNanos) {
        window.held++;
        return;
      }
      held = window.held;
      window.held = 0;
      window.loggedAt = now;
    }
    line.accept(held);
  }

  /** " (N more like it held back)" for a count above zero, else "". */
  public static String heldBack(long held) {
    return held > 0 ? " (" + held + " more like it since the last such line)" : "";
  }
}
