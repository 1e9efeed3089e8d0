package io.gitstratum.coordinator.client.failover;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc.CoordinatorAdminBlockingStub;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceStub;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints a client talks to: a channel and a circuit breaker each, and one preferred
 * endpoint that every call tries first, so a client keeps using one replica (its watch stream
 * and its calls see the same cache) until that replica fails.
 *
 * <p>Spread, so that many clients share the replicas evenly and keep doing so:
 * <ul>
 *   <li>Each client starts at a random endpoint, its <em>home</em>.
 *   <li>A failure another replica may not have ({@link #moveOff}) moves the client to a random
 *       other endpoint, one whose circuit is not open when there is one, never simply "the
 *       next": the clients of a failing replica spread over all the others.
 *   <li>A client away from home goes back after a random time between half and all of
 *       {@code rebalanceAfter} (unless home's circuit is open then), so once a replica recovers
 *       its clients come back, at different moments. Still failing, it costs one refused
 *       attempt per period.
 *   <li>When {@code dns:///} specs are resolved again, the preferred and home endpoints stay
 *       where they are if still present; only those that left are chosen again, at random.
 * </ul>
 *
 * <p>Each breaker counts only failures another replica may not have; an open one makes calls
 * skip its endpoint while another endpoint's breaker lets calls through. When every breaker
 * refuses, the preferred endpoint is tried only while the retry budget allows (such an attempt
 * counts as a retry); otherwise the call fails at once: with every replica failing, clients do
 * not keep them busy, and each breaker half-opens after its wait to let a few calls probe.
 *
 * <p>Thread-safe: the member list is replaced as a whole and read without locking; the
 * preference moves under a lock, so concurrent failures of one endpoint move it once.
 */
final class EndpointPool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EndpointPool.class);
  private static final long REFRESH_MIN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** One endpoint's channel, stubs (the contract's and the admin service's) and circuit breaker. */
  static final class Member {
    final Endpoint endpoint;
    final String name;
    final ManagedChannel channel;
    final CircuitBreaker breaker;
    final CoordinatorServiceBlockingStub blocking;
    final CoordinatorServiceStub async;
    /** The admin service, on the same channel (same TLS identity). */
    final CoordinatorAdminBlockingStub admin;

    Member(Endpoint endpoint, ManagedChannel channel, CircuitBreaker breaker) {
      this.endpoint = endpoint;
      this.name = endpoint.toString();
      this.channel = channel;
      this.breaker = breaker;
      this.blocking = CoordinatorServiceGrpc.newBlockingStub(channel);
      this.async = CoordinatorServiceGrpc.newStub(channel);
      this.admin = CoordinatorAdminGrpc.newBlockingStub(channel);
    }
  }

  private final List<String> specs;
  private final boolean resolvable;
  private final EndpointResolver resolver;
  private final ChannelFactory channels;
  private final CircuitBreakerConfig breakerConfig;
  private final Random random;
  private final LongSupplier ticker;
  private final long rebalanceNanos;
  private final BooleanSupplier mayPassOpenCircuits;
  private final Object lock = new Object();
  private volatile List<Member> members;
  // Written under lock, read without it.
  private volatile Member preferred;
  private volatile Member home;
  private volatile long returnAtNanos;
  private volatile boolean closed;
  private long lastRefreshNanos; // guarded by lock

  /**
   * @param randomStart start at a random endpoint (else at the first)
   * @param rebalanceAfter how long a client stays away from home at most, positive
   * @param mayPassOpenCircuits whether an attempt may go past every open circuit now
   */
  EndpointPool(List<String> specs, EndpointResolver resolver, ChannelFactory channels,
      CircuitBreakerConfig breakerConfig, boolean randomStart, Random random,
      LongSupplier ticker, Duration rebalanceAfter, BooleanSupplier mayPassOpenCircuits) {
    EndpointResolver.validate(specs);
    this.specs = List.copyOf(specs);
    this.resolvable = specs.stream().anyMatch(s -> s.startsWith(EndpointResolver.DNS_PREFIX));
    this.resolver = resolver;
    this.channels = channels;
    this.breakerConfig = breakerConfig;
    this.random = random;
    this.ticker = ticker;
    this.rebalanceNanos = rebalanceAfter.toNanos();
    this.mayPassOpenCircuits = mayPassOpenCircuits;
    List<Member> built = build(resolver.resolve(this.specs), Map.of());
    this.members = built;
    this.lastRefreshNanos = ticker.getAsLong();
    if (!built.isEmpty()) {
      Member start = built.get(randomStart ? random.nextInt(built.size()) : 0);
      this.home = start;
      this.preferred = start;
    }
  }

  private List<Member> build(List<Endpoint> endpoints, Map<Endpoint, Member> reuse) {
    List<Member> out = new ArrayList<>(endpoints.size());
    for (Endpoint endpoint : endpoints) {
      Member existing = reuse.get(endpoint);
      out.add(existing != null ? existing : new Member(endpoint, channels.create(endpoint),
          CircuitBreaker.of("coordinator " + endpoint, breakerConfig)));
    }
    return List.copyOf(out);
  }

  /**
   * The endpoint chosen for one attempt. When {@code permitted}, its breaker granted a
   * permission and must hear the outcome exactly once ({@link #succeeded}, {@link #failed} or
   * {@link #released}); otherwise the breaker is left alone.
   */
  record Pick(Member member, boolean permitted) {
    void succeeded(long nanos) {
      if (permitted) {
        member.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      }
    }

    void failed(long nanos, Throwable error) {
      if (permitted) {
        member.breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
      }
    }

    void released() {
      if (permitted) {
        member.breaker.releasePermission();
      }
    }
  }

  /**
   * The endpoint for the next attempt: home again when the client has been away long enough,
   * else the preferred one, else a random other whose circuit breaker grants a permission
   * (which then becomes preferred); past every open circuit only while the retry budget allows.
   *
   * @throws UnavailableException when no endpoint resolved, or every circuit is open and the
   *     budget allows no attempt past them
   * @throws IllegalStateException after {@link #close()}
   */
  Pick acquire() {
    for (int round = 0; round < 2; round++) {
      if (closed) {
        throw new IllegalStateException("coordinator client closed");
      }
      maybeReturnHome();
      List<Member> current = members;
      Member first = preferred;
      if (first == null) { // nothing resolved (yet): a name may resolve now
        if (round == 0 && refresh()) {
          continue;
        }
        break;
      }
      if (first.breaker.tryAcquirePermission()) {
        return new Pick(first, true);
      }
      Member other = permittedOther(current, first);
      if (other != null) {
        prefer(first, other);
        return new Pick(other, true);
      }
      if (round == 1 || !refresh()) {
        if (mayPassOpenCircuits.getAsBoolean()) {
          log.debug("every circuit is open; trying {} anyway", first.name);
          return new Pick(first, false);
        }
        throw new UnavailableException("every coordinator endpoint's circuit is open ("
            + names(current) + ") and the retry budget is spent", "", null);
      }
    }
    throw new UnavailableException("no coordinator endpoint resolved from " + specs, "", null);
  }

  /** A member other than {@code not} whose breaker granted a permission, tried in random order. */
  private Member permittedOther(List<Member> current, Member not) {
    int n = current.size();
    int offset = n == 0 ? 0 : random.nextInt(n);
    for (int i = 0; i < n; i++) {
      Member member = current.get((offset + i) % n);
      if (member != not && member.breaker.tryAcquirePermission()) {
        return member;
      }
    }
    return null;
  }

  /** A random member other than {@code not}, one whose circuit is not open when there is one. */
  private Member randomOther(List<Member> current, Member not) {
    List<Member> closedOnes = new ArrayList<>();
    List<Member> others = new ArrayList<>();
    for (Member member : current) {
      if (member != not) {
        others.add(member);
        if (isClosed(member)) {
          closedOnes.add(member);
        }
      }
    }
    List<Member> from = closedOnes.isEmpty() ? others : closedOnes;
    return from.get(random.nextInt(from.size()));
  }

  private static boolean isClosed(Member member) {
    return member.breaker.getState() == CircuitBreaker.State.CLOSED;
  }

  /** Moves the preference from {@code from} to {@code to}, unless it moved already. */
  private boolean prefer(Member from, Member to) {
    synchronized (lock) {
      if (preferred != from || from == to) {
        return false;
      }
      if (from == home) {
        returnAtNanos = ticker.getAsLong() + awayNanos();
      }
      preferred = to;
      return true;
    }
  }

  /** A random time in [rebalanceAfter / 2, rebalanceAfter]. */
  private long awayNanos() {
    return rebalanceNanos / 2 + (long) (random.nextDouble() * (rebalanceNanos / 2));
  }

  private void maybeReturnHome() {
    Member back = home;
    if (preferred == back || back == null || ticker.getAsLong() < returnAtNanos) {
      return;
    }
    synchronized (lock) {
      back = home;
      if (preferred == back || back == null || ticker.getAsLong() < returnAtNanos) {
        return;
      }
      if (!isClosed(back)) {
        returnAtNanos = ticker.getAsLong() + awayNanos(); // not healthy yet: look again later
        return;
      }
      log.info("coordinator endpoint {} is this client's home again (was on {})", back.name,
          preferred == null ? "none" : preferred.name);
      preferred = back;
    }
  }

  /**
   * Called after {@code member} failed in a way another replica may not: the next calls prefer
   * a random other endpoint. A no-op when the preference already moved.
   */
  void moveOff(Member member, CoordinatorClientException why) {
    List<Member> current = members;
    if (current.size() < 2 || preferred != member) {
      return;
    }
    Member next = randomOther(current, member);
    if (prefer(member, next)) {
      log.warn("coordinator endpoint {} failed: {}; moving to {}", member.name,
          why.getMessage(), next.name);
    }
  }

  /** The endpoint calls go to first, if any resolved. */
  Optional<Endpoint> preferred() {
    Member current = preferred;
    return current == null ? Optional.empty() : Optional.of(current.endpoint);
  }

  /** The endpoint this client returns to after a failover, if any resolved. */
  Optional<Endpoint> home() {
    Member current = home;
    return current == null ? Optional.empty() : Optional.of(current.endpoint);
  }

  List<Endpoint> endpoints() {
    return members.stream().map(m -> m.endpoint).toList();
  }

  /**
   * Resolves {@code dns:///} specs again, at most every 5 s: replicas behind a DNS name may
   * have moved. Keeps the channels of endpoints still present, and the preferred and home
   * endpoints when still present. Returns whether anything changed.
   */
  boolean refresh() {
    if (!resolvable) {
      return false;
    }
    synchronized (lock) {
      long now = ticker.getAsLong();
      if (closed || now - lastRefreshNanos < REFRESH_MIN_INTERVAL_NANOS) {
        return false;
      }
      lastRefreshNanos = now;
      List<Endpoint> resolved = resolver.resolve(specs);
      List<Member> old = members;
      if (resolved.equals(old.stream().map(m -> m.endpoint).toList())) {
        return false;
      }
      Map<Endpoint, Member> byEndpoint = new HashMap<>();
      old.forEach(m -> byEndpoint.put(m.endpoint, m));
      List<Member> fresh = build(resolved, byEndpoint);
      members = fresh;
      home = stayOrPick(home, fresh);
      preferred = stayOrPick(preferred, fresh);
      for (Member m : old) {
        if (!fresh.contains(m)) {
          m.channel.shutdownNow();
        }
      }
      log.info("coordinator endpoints resolved again: {}", names(fresh));
      return true;
    }
  }

  /** {@code member} when it is still one of {@code fresh}, else a random one of them. */
  private Member stayOrPick(Member member, List<Member> fresh) {
    if (fresh.isEmpty()) {
      return null;
    }
    return fresh.contains(member) ? member : fresh.get(random.nextInt(fresh.size()));
  }

  private static List<String> names(List<Member> members) {
    return members.stream().map(m -> m.name).toList();
  }

  /** Shuts every channel down, waiting up to 5 s in all. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    List<Member> current = members;
    current.forEach(m -> m.channel.shutdownNow());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Member m : current) {
      try {
        m.channel.awaitTermination(Math.max(0, deadline - System.nanoTime()),
            TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
