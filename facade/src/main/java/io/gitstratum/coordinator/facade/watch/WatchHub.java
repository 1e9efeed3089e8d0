package io.gitstratum.coordinator.facade.watch;

import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.cache.TopologyResponses;
import io.gitstratum.coordinator.facade.core.Durations;
import io.gitstratum.coordinator.facade.errors.ErrorReason;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.errors.WatcherLimitException;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans the replica's one etcd watch out to every WatchTopology stream. It listens to the
 * {@link TopologyCache} (so etcd load does not grow with watchers), keeps a bounded buffer of
 * recent events for resuming streams, falls back to etcd's event log, and else full-syncs.
 *
 * <p>Thread-safe. Listener callbacks arrive on the cache's thread and never block on a stream.
 */
public final class WatchHub implements TopologyCache.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WatchHub.class);

  /**
   * full_sync bytes in gRPC's outbound buffers at once: two or three full_syncs of 100,000
   * labelled nodes (13-17 MB each, by labels), or hundreds of small ones.
   */
  public static final long FULL_SYNC_BYTES_IN_TRANSIT = 40L << 20;

  /** Threads deciding where resuming streams start (they may wait for etcd or the cache). */
  private static final int RESUME_THREADS = 4;

  private final TopologyCache cache;
  private final EtcdTopologyStore store;
  private final TopologyResponses responses;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final WatchSettings settings;
  private final Duration timeout;
  private final ExecutorService senders;
  private final ExecutorService fanout;
  private final ExecutorService resumes;
  private final FullSyncGate gate = new FullSyncGate(FULL_SYNC_BYTES_IN_TRANSIT);
  private final UpdateBuffer buffer;
  private final SharedLogReplay logReplay;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final ScheduledFuture<?> keepalives;
  private final Function<Throwable, StatusRuntimeException> errors;

  /**
   * @param nanoTime the monotonic ticker for keepalives and stall checks ({@code System::nanoTime})
   * @param senders runs the per-stream drains; owned (and shut down) by the hub
   * @param timeout bound on etcd reads and catch-up waits when a stream starts
   * @param errors turns the reason a stream ends into its gRPC status (the server's one mapping)
   */
  public WatchHub(TopologyCache cache, EtcdTopologyStore store, TopologyResponses responses,
      Clock clock, LongSupplier nanoTime, WatchSettings settings, Duration timeout,
      ExecutorService senders, ScheduledExecutorService scheduler,
      Function<Throwable, StatusRuntimeException> errors) {
    this(cache, store, responses, clock, nanoTime, settings, timeout, senders, scheduler, errors,
        Executors.newSingleThreadExecutor(daemon("watch-fanout")),
        Executors.newFixedThreadPool(RESUME_THREADS, daemon("watch-resume")));
  }

  /**
   * As the public constructor, with the fan-out and resume executors passed in, so that
   * WatchHubTest can run them on its own thread, step by step, and choose each interleaving.
   *
   * @param fanout runs one task at a time, in order; owned by the hub, like {@code resumes}
   */
  WatchHub(TopologyCache cache, EtcdTopologyStore store, TopologyResponses responses,
      Clock clock, LongSupplier nanoTime, WatchSettings settings, Duration timeout,
      ExecutorService senders, ScheduledExecutorService scheduler,
      Function<Throwable, StatusRuntimeException> errors, ExecutorService fanout,
      ExecutorService resumes) {
    this.errors = errors;
    this.cache = cache;
    this.store = store;
    this.responses = responses;
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.settings = settings;
    this.timeout = timeout;
    this.senders = senders;
    this.fanout = fanout;
    this.resumes = resumes;
    this.buffer = new UpdateBuffer(settings.bufferCapacity());
    this.logReplay = new SharedLogReplay(store, settings.replayLimit());
    long idleNanos = settings.keepaliveInterval().toNanos();
    // Check four times per interval so that no stream stays idle much past it.
    long periodMs = Math.max(10, settings.keepaliveInterval().toMillis() / 4);
    // A stream that has not taken its full_sync for three intervals has a client that does not
    // read: a client counts a stream silent for that long as dead anyway.
    long stallNanos = 3 * idleNanos;
    this.keepalives = scheduler.scheduleWithFixedDelay(
        () -> subscriptions.forEach(s -> {
          s.keepaliveIfIdle(idleNanos);
          s.closeIfStalled(stallNanos);
        }),
        periodMs, periodMs, TimeUnit.MILLISECONDS);
    cache.addListener(this);
  }

  private static ThreadFactory daemon(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  public int subscriberCount() {
    return subscriptions.size();
  }

  /** full_sync bytes handed to gRPC and not yet sent. */
  public long fullSyncBytesInTransit() {
    return gate.inTransit();
  }

  /** Streams waiting for their turn to be sent a full_sync. */
  public long fullSyncsWaiting() {
    return gate.waiting();
  }

  /** Updates waiting in all streams' queues (bounded by streams × queue capacity). */
  public long queuedUpdates() {
    long total = 0;
    for (Subscription subscription : subscriptions) {
      total += subscription.queued();
    }
    return total;
  }

  /**
   * Starts a stream from {@code since_version}. Where it starts (live, a replay, a full_sync) is
   * decided on the hub's resume threads, which may read etcd's event log or wait for the cache;
   * the gRPC thread returns at once. A stream whose start cannot be decided ends with the error
   * (UNAVAILABLE when etcd cannot tell what to replay).
   *
   * @throws WatcherLimitException beyond the subscriber limit
   */
  public void subscribe(WatchTopologyRequest request, ServerCallStreamObserver<TopologyUpdate> stream) {
    if (subscriptions.size() >= settings.maxSubscribers()) {
      throw new WatcherLimitException("replica", settings.maxSubscribers());
    }
    long since = request.getSinceVersion();
    Subscription[] self = new Subscription[1];
    Subscription subscription = new Subscription(stream, since, () -> cache.state().topology(),
        responses::of, clock::millis, nanoTime, senders, settings.queueCapacity(),
        () -> subscriptions.remove(self[0]), errors, gate, buffer::after);
    self[0] = subscription;
    subscription.listen();
    // Live events queue up from here on; the replay decided below covers everything before.
    subscriptions.add(subscription);
    if (since == 0) {
      subscription.start(true, List.of()); // nothing to decide
      return;
    }
    try {
      resumes.execute(() -> {
        try {
          Optional<List<TopologyUpdate>> replay = replayFor(since);
          subscription.start(replay.isEmpty(), replay.orElse(List.of()));
        } catch (RuntimeException e) {
          subscription.close(e);
        }
      });
    } catch (RejectedExecutionException e) {
      subscription.close(UnavailableException.shuttingDown());
    }
  }

  /** The events to replay after {@code since}, or empty for a full sync. */
  private Optional<List<TopologyUpdate>> replayFor(long since) {
    long cached = cache.state().topology().version();
    Optional<List<TopologyUpdate>> buffered = buffer.after(since);
    ResumePlan plan = ResumePlan.decide(since, cached, buffered.isPresent(), -1);
    if (plan == ResumePlan.CATCH_UP) {
      plan = ResumePlan.decide(since, cached, false, store.currentVersion());
      if (plan == ResumePlan.CATCH_UP) {
        awaitVersion(since);
        cached = cache.state().topology().version();
        buffered = buffer.after(since);
        plan = ResumePlan.decide(since, cached, buffered.isPresent(), cached);
      }
    }
    return switch (plan) {
      case FULL_SYNC, CATCH_UP -> Optional.empty();
      case LIVE -> Optional.of(List.of());
      case REPLAY_BUFFER -> buffered;
      case REPLAY_LOG -> logReplay.replay(since, cached);
    };
  }

  private void awaitVersion(long version) {
    try {
      if (!cache.awaitVersion(version, timeout)) {
        throw UnavailableException.notReady("this replica did not reach version " + version
            + " within " + Durations.format(timeout));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException(ErrorReason.SHUTTING_DOWN, "interrupted", e);
    }
  }

  @Override
  public void onUpdates(List<TopologyUpdate> updates, TopologyCache.State after) {
    for (TopologyUpdate update : updates) {
      buffer.add(update);
    }
    // Queue them for every stream on the fan-out thread, in order: the writer applies its own
    // commits here and answers its callers without waiting for thousands of streams.
    fanOut(() -> {
      for (Subscription subscription : subscriptions) {
        for (TopologyUpdate update : updates) {
          subscription.offer(update);
        }
      }
    });
  }

  @Override
  public void onResync(TopologyCache.State before, TopologyCache.State after) {
    long from = before.topology().version();
    long to = after.topology().version();
    if (before.revision() == 0 || from == to) {
      return; // first load, or nothing happened while the watch was down
    }
    // The missed events are not in the buffer; streams resuming meanwhile use the event log.
    buffer.clear();
    // The event-log read runs on the fan-out thread, never under the cache's lock; events that
    // arrive meanwhile queue behind it there, so every stream still gets them in order.
    fanOut(() -> replayMissed(from, to));
  }

  private void replayMissed(long from, long to) {
    Optional<List<TopologyUpdate>> missed = Optional.empty();
    if (from < to) {
      try {
        missed = store.readEvents(from, to, settings.replayLimit());
      } catch (RuntimeException e) {
        log.warn("cannot read the event log {}..{} after a resync: {}", from, to, e.getMessage());
      }
    }
    if (missed.isPresent()) {
      log.info("watch resync: replaying events {}..{} from the event log", from + 1, to);
      for (Subscription subscription : subscriptions) {
        missed.get().forEach(subscription::offer);
      }
    } else {
      log.warn("watch resync: events {}..{} not retained, full_sync to {} streams", from + 1, to,
          subscriptions.size());
      // A version that went backwards (etcd restored from a backup) re-syncs every stream.
      long target = to < from ? Long.MAX_VALUE : to;
      subscriptions.forEach(s -> s.syncIfBehind(target));
    }
  }

  private void fanOut(Runnable work) {
    try {
      fanout.execute(work);
    } catch (RejectedExecutionException e) {
      // closing: every stream is being ended anyway
    }
  }

  @Override
  public void close() {
    cache.removeListener(this);
    keepalives.cancel(false);
    for (Subscription subscription : List.copyOf(subscriptions)) {
      subscription.close(UnavailableException.shuttingDown());
    }
    fanout.shutdown();
    resumes.shutdownNow();
    senders.shutdown();
  }
}
