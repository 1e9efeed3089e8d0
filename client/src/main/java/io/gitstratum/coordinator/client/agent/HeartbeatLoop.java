package io.gitstratum.coordinator.client.agent;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a {@link NodeAgent}'s heartbeats run: the first at once, then one every interval the
 * facade advised ({@link #advise}; the default until it has). After a failed heartbeat the next
 * comes after half the interval, so a lost one is retried before the facade counts the node
 * silent; never sooner than 50 ms, so a failing facade is not hammered.
 *
 * <p>Thread-safe. Owned by one agent, which stops the loop when it stops acting as the node; the
 * loop owns its scheduler unless one was given.
 */
final class HeartbeatLoop {
  // Logs as the agent: these are the agent's heartbeats.
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);
  static final Duration MIN_INTERVAL = Duration.ofMillis(50);

  private final String nodeId;
  private final Runnable beat;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private volatile Duration interval;
  private ScheduledFuture<?> next; // guarded by this
  private boolean stopped; // guarded by this

  /**
   * @param beat sends one heartbeat; a {@link ZombieGenerationException} means the agent has
   *     stopped the loop, any other exception is a failed heartbeat
   * @param scheduler where heartbeats run, or null for a daemon thread of the loop's own
   */
  HeartbeatLoop(String nodeId, Runnable beat, Duration defaultInterval,
      ScheduledExecutorService scheduler) {
    this.nodeId = nodeId;
    this.beat = beat;
    this.interval = defaultInterval;
    this.ownsScheduler = scheduler == null;
    this.scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "node-agent-" + nodeId);
      t.setDaemon(true);
      return t;
    }) : scheduler;
  }

  /** The interval in use. */
  Duration interval() {
    return interval;
  }

  /** Takes the facade's advice ({@code heartbeat_interval_ms}; 0 means none). */
  void advise(long intervalMs) {
    if (intervalMs > 0) {
      interval = Duration.ofMillis(intervalMs);
    }
  }

  /** The wait before the next heartbeat, after one that succeeded or failed. */
  Duration delayAfter(boolean failed) {
    Duration next = failed ? interval.dividedBy(2) : interval;
    return next.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : next;
  }

  /** Runs the first heartbeat at once. */
  void start() {
    schedule(Duration.ZERO);
  }

  private synchronized void schedule(Duration delay) {
    if (stopped) {
      return;
    }
    next = scheduler.schedule(this::run, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void run() {
    boolean failed = false;
    try {
      beat.run();
    } catch (ZombieGenerationException e) {
      return; // stopped
    } catch (CoordinatorClientException e) {
      log.warn("heartbeat of node {} failed: {}", nodeId, e.getMessage());
      failed = true;
    } catch (RuntimeException e) {
      log.error("heartbeat of node {} failed", nodeId, e);
      failed = true;
    }
    // Computed after the beat: its answer may have changed the advised interval.
    schedule(delayAfter(failed));
  }

  /** Cancels the next heartbeat and schedules none after one running now. Idempotent. */
  synchronized void stop() {
    stopped = true;
    if (next != null) {
      next.cancel(false);
    }
  }

  /** Stops, and shuts the scheduler down when the loop owns it. Idempotent. */
  void close() {
    stop();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }
}
