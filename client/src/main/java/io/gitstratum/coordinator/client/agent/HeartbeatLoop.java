package io.gitstratum.coordinator.client.agent;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.Remedy;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CallLimit;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a {@link NodeAgent}'s heartbeats run, and how long each may take, from the node's lease:
 * the facade counts a node silent (SUSPECT) once {@code suspect_timeout_ms} passed since the
 * last heartbeat it took, and advises both that timeout and the interval in its answers
 * ({@link #advise}; until then the default interval and three times it, the facade's own
 * ratio). The lease is counted from when the last acknowledged heartbeat (or the registration)
 * was sent ({@link #renewed}), which is never later than when the facade renewed it.
 *
 * <ul>
 *   <li>The first heartbeat runs at once, then one every interval.
 *   <li>One heartbeat never takes longer than the lease has left ({@link #limit}). While more
 *       than half of it is left it makes one attempt: the loop has time to try again, and a
 *       replica that sheds heartbeats (REPLICA_OVERLOADED) refuses only such nodes, so a retry
 *       at once would only double the calls. With half or less left it retries (within the
 *       client's retry budget) until the lease runs out. A node already past its lease gets
 *       one interval.
 *   <li>After a failed heartbeat the next comes after the interval, or half of what the lease
 *       has left when that is sooner, a random 80-100 % of it so that nodes that failed
 *       together do not retry together; never sooner than the delay the facade asked for when
 *       the cause is shared by every replica (etcd), nor than 50 ms. So a node whose every
 *       replica sheds still sends about one heartbeat per interval.
 * </ul>
 *
 * <p>Thread-safe. Owned by one agent, which stops the loop when it stops acting as the node; the
 * loop owns its scheduler unless one was given.
 */
final class HeartbeatLoop {
  // Logs as the agent: these are the agent's heartbeats.
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);
  static final Duration MIN_INTERVAL = Duration.ofMillis(50);
  /** Suspect timeout per interval assumed until the facade tells (its defaults: 30 s / 10 s). */
  static final int SUSPECT_INTERVALS = 3;
  /** The shortest wait after a failure, in percent of the computed one. */
  static final int FAILURE_JITTER_FLOOR_PERCENT = 80;

  private final String nodeId;
  private final Runnable beat;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final LongSupplier ticker;
  private final Random random;
  private volatile Duration interval;
  private volatile long suspectNanos; // 0: not advised yet
  private volatile long renewedAtNanos;
  private ScheduledFuture<?> next; // guarded by this
  private boolean stopped; // guarded by this

  /**
   * @param beat sends one heartbeat, bounded by {@link #limit()} read once it is about to send
   *     (another heartbeat may have renewed the lease meanwhile); a
   *     {@link ZombieGenerationException} means the agent has stopped the loop, any other
   *     exception is a failed heartbeat
   * @param scheduler where heartbeats run, or null for a daemon thread of the loop's own
   * @param ticker the clock of the lease, in nanoseconds
   */
  HeartbeatLoop(String nodeId, Runnable beat, Duration defaultInterval,
      ScheduledExecutorService scheduler, LongSupplier ticker, Random random) {
    this.nodeId = nodeId;
    this.beat = beat;
    this.interval = defaultInterval;
    this.ticker = ticker;
    this.random = random;
    this.renewedAtNanos = ticker.getAsLong();
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

  /** The suspect timeout in use (the facade's once it told, else three intervals). */
  Duration suspectTimeout() {
    long advised = suspectNanos;
    return advised > 0 ? Duration.ofNanos(advised) : interval.multipliedBy(SUSPECT_INTERVALS);
  }

  /** Now, by the lease's clock. */
  long now() {
    return ticker.getAsLong();
  }

  /**
   * Takes the facade's advice ({@code heartbeat_interval_ms}, {@code suspect_timeout_ms}; 0
   * means none).
   */
  void advise(long intervalMs, long suspectMs) {
    if (intervalMs > 0) {
      interval = Duration.ofMillis(intervalMs);
    }
    if (suspectMs > 0) {
      suspectNanos = TimeUnit.MILLISECONDS.toNanos(suspectMs);
    }
  }

  /** A registration or heartbeat sent at {@code sentAtNanos} ({@link #now}) was acknowledged. */
  void renewed(long sentAtNanos) {
    renewedAtNanos = sentAtNanos;
  }

  /** How long before the facade would count the node silent; negative once past. */
  Duration leaseLeft() {
    return Duration.ofNanos(renewedAtNanos + suspectTimeout().toNanos() - ticker.getAsLong());
  }

  /** The bound of the next heartbeat (see the class comment). */
  CallLimit limit() {
    Duration left = leaseLeft();
    if (left.isNegative() || left.isZero()) {
      return CallLimit.within(interval);
    }
    if (left.compareTo(suspectTimeout().dividedBy(2)) > 0) {
      return CallLimit.once(left);
    }
    return CallLimit.within(left);
  }

  /** The wait before the next heartbeat, after one that succeeded ({@code failure} null). */
  Duration delayAfter(RuntimeException failure) {
    Duration wait = interval;
    if (failure != null) {
      Duration left = leaseLeft();
      if (!left.isNegative() && left.dividedBy(2).compareTo(wait) < 0) {
        wait = left.dividedBy(2);
      }
      long nanos = wait.toNanos();
      long floor = nanos * FAILURE_JITTER_FLOOR_PERCENT / 100;
      wait = Duration.ofNanos(floor + (long) (random.nextDouble() * (nanos - floor)));
      if (failure instanceof CoordinatorClientException e && e.remedy() == Remedy.SAME_LATER
          && e.retryDelay().isPresent() && e.retryDelay().get().compareTo(wait) > 0) {
        wait = e.retryDelay().get();
      }
    }
    return wait.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : wait;
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
    RuntimeException failure = null;
    try {
      beat.run();
    } catch (ZombieGenerationException e) {
      return; // stopped
    } catch (CoordinatorClientException e) {
      log.warn("heartbeat of node {} failed ({} of its lease left): {}", nodeId, leaseLeft(),
          e.getMessage());
      failure = e;
    } catch (RuntimeException e) {
      log.error("heartbeat of node {} failed", nodeId, e);
      failure = e;
    }
    // Computed after the beat: its answer may have changed the advice.
    schedule(delayAfter(failure));
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
