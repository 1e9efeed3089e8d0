package io.gitstratum.coordinator.facade.guard;

import com.google.common.base.Ticker;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.gitstratum.coordinator.facade.errors.RateLimitedException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Per-second request limits, per client identity and for the whole replica, separately for
 * registrations, heartbeats and reads (Bucket4j buckets refilled in full once a second that never
 * wait: a request either gets a permit now or is refused with the time until the next refill).
 *
 * <p>Memory is bounded: a client's limiter is created on its first request of a category and
 * forgotten after {@link #IDLE_EVICTION} without one, or earlier when more than
 * {@code trackedClients} limiters exist (least recently used first). Forgetting an idle client
 * loses nothing, since after one refresh period its permits are all back anyway. Thread-safe.
 */
@Singleton
public final class RequestRateLimits {
  /** Rates are per second: permits are refilled once per period. */
  static final Duration PERIOD = Duration.ofSeconds(1);

  /** Longer than {@link #PERIOD}, so that an evicted limiter was full anyway. */
  static final Duration IDLE_EVICTION = Duration.ofMinutes(1);

  private static final Duration MIN_RETRY_DELAY = Duration.ofMillis(10);

  private record Key(String client, RequestCategory category) {}

  private final Map<RequestCategory, Integer> perClient = new EnumMap<>(RequestCategory.class);
  private final Map<RequestCategory, Integer> perReplica = new EnumMap<>(RequestCategory.class);
  private final Map<RequestCategory, Bucket> replica = new EnumMap<>(RequestCategory.class);
  private final Cache<Key, Bucket> clients;
  private final Supplier<Long> nanoTime;
  private final TimeMeter time;

  @Inject
  public RequestRateLimits(LimitSettings settings) {
    this(settings, System::nanoTime);
  }

  /** @param nanoTime the clock of every limiter and of idle eviction, in nanoseconds */
  public RequestRateLimits(LimitSettings settings, Supplier<Long> nanoTime) {
    this.nanoTime = nanoTime;
    this.time = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return nanoTime.get();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
    perClient.put(RequestCategory.REGISTRATIONS, settings.registrationsPerClient());
    perClient.put(RequestCategory.HEARTBEATS, settings.heartbeatsPerClient());
    perClient.put(RequestCategory.READS, settings.readsPerClient());
    perReplica.put(RequestCategory.REGISTRATIONS, settings.registrationsPerReplica());
    perReplica.put(RequestCategory.HEARTBEATS, settings.heartbeatsPerReplica());
    perReplica.put(RequestCategory.READS, settings.readsPerReplica());
    perReplica.forEach((category, limit) -> {
      if (limit > 0) {
        replica.put(category, limiter(limit));
      }
    });
    this.clients = CacheBuilder.newBuilder()
        .maximumSize(settings.trackedClients())
        .expireAfterAccess(IDLE_EVICTION)
        .ticker(new Ticker() {
          @Override
          public long read() {
            return nanoTime.get();
          }
        })
        .build();
  }

  /**
   * Takes one permit of {@code category} for {@code client}, then one of the replica's.
   *
   * @throws RateLimitedException when either has none left now, with the wait until the next
   */
  public void acquire(ClientIdentity client, RequestCategory category) {
    int clientLimit = perClient.get(category);
    if (clientLimit > 0) {
      take(clientLimiter(new Key(client.key(), category), clientLimit), "client", category,
          clientLimit);
    }
    Bucket shared = replica.get(category);
    if (shared != null) {
      take(shared, "replica", category, perReplica.get(category));
    }
  }

  /** One permit of {@code bucket}, or the refusal naming its scope, limit and wait. */
  private static void take(Bucket bucket, String scope, RequestCategory category, int limit) {
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (!probe.isConsumed()) {
      throw new RateLimitedException(scope, category.label(), limit, delay(probe));
    }
  }

  /** Client limiters currently held (bounded by {@code trackedClients}). */
  public long trackedLimiters() {
    clients.cleanUp();
    return clients.size();
  }

  private Bucket clientLimiter(Key key, int limit) {
    try {
      return clients.get(key, () -> limiter(limit));
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create a rate limiter", e.getCause());
    }
  }

  /** {@code perSecond} permits, all given back at each full second since the bucket's start. */
  private Bucket limiter(int perSecond) {
    return Bucket.builder()
        .addLimit(limit -> limit.capacity(perSecond).refillIntervally(perSecond, PERIOD))
        .withCustomTimePrecision(time)
        .build();
  }

  private static Duration delay(ConsumptionProbe refused) {
    Duration delay = Duration.ofNanos(refused.getNanosToWaitForRefill());
    return delay.compareTo(MIN_RETRY_DELAY) < 0 ? MIN_RETRY_DELAY : delay;
  }
}
