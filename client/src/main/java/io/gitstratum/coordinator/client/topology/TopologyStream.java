package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.failover.Backoff;
import io.gitstratum.coordinator.client.failover.WatchCall;
import io.gitstratum.coordinator.client.failover.WatchObserver;
import io.gitstratum.coordinator.client.failover.WatchSource;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TopologyWatcher}'s WatchTopology subscription, kept whole across streams: it checks
 * every message with a {@link TopologyFollower}, hands the steps that changed the topology
 * (APPLIED, RESYNCED) to the watcher, and replaces a stream that has a gap or a protocol error,
 * breaks, ends or goes silent, resuming since the version held after the reconnect backoff (the
 * rules are in the watcher's class comment). A stream it gives up is abandoned, so the source
 * moves off that endpoint; a broken one the source has already left.
 *
 * <p>Thread-safe: one lock guards the follower and the stream state, and the watcher's step
 * consumer is called under it, one message at a time, on the gRPC thread that delivers the
 * message; opens and idle checks run on the scheduler. Owned by one watcher; it owns the stream
 * in use, not the source or the scheduler.
 */
final class TopologyStream {
  // Logs under the watcher's name: operators know these lines as the watcher's.
  private static final Logger log = LoggerFactory.getLogger(TopologyWatcher.class);

  private final WatchSource source;
  private final ScheduledExecutorService scheduler;
  private final long maxBackoffNanos;
  private final long idleTimeoutNanos;
  private final LongSupplier ticker;
  private final Consumer<TopologyFollower.Step> steps;

  private final Object lock = new Object();
  // Guarded by lock.
  private final TopologyFollower follower = new TopologyFollower();
  private final Backoff backoff;
  private int attempt;
  private WatchCall current;
  private boolean reconnectPending;
  private boolean started;
  private boolean closed;
  private long lastMessageNanos;
  private long resumes;
  private ScheduledFuture<?> idleCheck;

  /**
   * @param backoff the reconnect backoff; {@code maxBackoff} is its cap
   * @param ticker nanoseconds, for the idle timeout
   * @param steps takes each APPLIED or RESYNCED step, under the lock
   */
  TopologyStream(WatchSource source, ScheduledExecutorService scheduler, Backoff backoff,
      Duration maxBackoff, Duration idleTimeout, LongSupplier ticker,
      Consumer<TopologyFollower.Step> steps) {
    this.source = source;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.maxBackoffNanos = maxBackoff.toNanos();
    this.idleTimeoutNanos = idleTimeout.toNanos();
    this.ticker = ticker;
    this.steps = steps;
  }

  /**
   * Opens the first stream (on the scheduler) and starts the idle check.
   *
   * @throws IllegalStateException when already started or closed
   */
  void start() {
    synchronized (lock) {
      if (started || closed) {
        throw new IllegalStateException("watcher already started or closed");
      }
      started = true;
      long period = Math.max(1, idleTimeoutNanos / 4);
      idleCheck = scheduler.scheduleWithFixedDelay(this::checkIdle, period, period,
          TimeUnit.NANOSECONDS);
    }
    scheduler.execute(this::connect);
  }

  /** The endpoint of the stream in use, if one is open. */
  Optional<String> currentEndpoint() {
    synchronized (lock) {
      return Optional.ofNullable(current).map(WatchCall::endpoint);
    }
  }

  /** How many times a stream was replaced (broken, gap, idle) since the start. */
  long resumes() {
    synchronized (lock) {
      return resumes;
    }
  }

  private void connect() {
    int myAttempt;
    long since;
    synchronized (lock) {
      reconnectPending = false;
      if (closed) {
        return;
      }
      myAttempt = ++attempt;
      since = follower.synced() ? follower.version() : 0;
    }
    WatchCall call;
    try {
      call = source.watchTopology(since, new Observer(myAttempt));
    } catch (IllegalStateException e) {
      // The client was closed under the watcher: nothing will ever work again.
      log.warn("topology watcher stops: its source is closed ({})", e.getMessage());
      return;
    } catch (RuntimeException e) {
      synchronized (lock) {
        if (attempt == myAttempt) {
          scheduleReconnectLocked("cannot open a stream: " + e.getMessage(), Duration.ZERO);
        }
      }
      return;
    }
    synchronized (lock) {
      if (closed || attempt != myAttempt) {
        call.cancel(); // it failed (or we closed) before we got here
        return;
      }
      current = call;
      lastMessageNanos = ticker.getAsLong();
      log.debug("watching topology on {} since version {}", call.endpoint(), since);
    }
  }

  /** Drops the stream in use; assumes the lock is held. */
  private void dropStreamLocked(String reason, boolean abandon) {
    dropStreamLocked(reason, abandon, Duration.ZERO);
  }

  /** Drops the stream in use and reconnects after at least {@code wait}; lock held. */
  private void dropStreamLocked(String reason, boolean abandon, Duration wait) {
    WatchCall call = current;
    current = null;
    attempt++; // late callbacks of the old stream are ignored from now on
    resumes++;
    if (call != null) {
      if (abandon) {
        call.abandon(reason);
      } else {
        call.cancel();
      }
    }
    scheduleReconnectLocked(reason, wait);
  }

  /** Reconnects after the backoff, or after {@code wait} (capped) when that is longer. */
  private void scheduleReconnectLocked(String reason, Duration wait) {
    if (closed || reconnectPending) {
      return;
    }
    reconnectPending = true;
    Duration delay = backoff.next();
    if (wait.compareTo(delay) > 0) {
      delay = wait.toNanos() > maxBackoffNanos ? Duration.ofNanos(maxBackoffNanos) : wait;
    }
    log.info("topology stream at version {}: {}; resuming in {} ms", follower.version(), reason,
        delay.toMillis());
    scheduler.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void checkIdle() {
    synchronized (lock) {
      if (!closed && current != null
          && ticker.getAsLong() - lastMessageNanos > idleTimeoutNanos) {
        dropStreamLocked("no message (not even a keepalive) for "
            + Duration.ofNanos(idleTimeoutNanos).toMillis() + " ms", true);
      }
    }
  }

  /** Handles one message of the current stream; assumes the lock is held. */
  private void handleLocked(TopologyUpdate update) {
    lastMessageNanos = ticker.getAsLong();
    TopologyFollower.Step step = follower.accept(update);
    switch (step.kind()) {
      case IGNORED -> {
        if (update.hasLagged()) {
          log.warn("topology stream {}; a full_sync follows", step.reason());
        }
      }
      case RESUME -> dropStreamLocked(step.reason(), true);
      case RESYNCED, APPLIED -> {
        steps.accept(step);
        backoff.reset();
      }
      default -> throw new IllegalStateException("unexpected step " + step.kind());
    }
  }

  /** Ends the stream and the reconnect loop; no step is handed on after this returns. */
  void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      attempt++;
      if (current != null) {
        current.cancel();
        current = null;
      }
      if (idleCheck != null) {
        idleCheck.cancel(false);
      }
    }
  }

  /** Receives one attempt's stream; callbacks of replaced attempts are ignored. */
  private final class Observer implements WatchObserver {
    private final int myAttempt;

    Observer(int myAttempt) {
      this.myAttempt = myAttempt;
    }

    @Override
    public void onNext(TopologyUpdate update) {
      synchronized (lock) {
        if (!closed && attempt == myAttempt) {
          handleLocked(update);
        }
      }
    }

    @Override
    public void onError(CoordinatorClientException error) {
      synchronized (lock) {
        if (!closed && attempt == myAttempt) {
          // A watcher limit comes with the delay to wait (RetryInfo); honour it.
          dropStreamLocked("stream broke: " + error.getMessage(), false,
              error.retryDelay().orElse(Duration.ZERO));
        }
      }
    }

    @Override
    public void onCompleted() {
      synchronized (lock) {
        if (!closed && attempt == myAttempt) {
          dropStreamLocked("stream ended by the facade", true);
        }
      }
    }
  }
}
