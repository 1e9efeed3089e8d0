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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints a client talks to: a channel and a circuit breaker each, and one preferred
 * endpoint that every call tries first, so a client keeps using one replica (its watch stream
 * and its calls see the same cache) until that replica fails.
 *
 * <p>Each breaker counts only unavailability; an open one makes calls skip its endpoint while
 * another endpoint's breaker lets calls through.
 *
 * <p>Thread-safe: the member list is replaced as a whole (only when {@code dns:///} specs are
 * resolved again) and read without locking; the preferred index moves by compare-and-set, so
 * concurrent failures of one endpoint move it once.
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
  private final AtomicInteger preferred = new AtomicInteger();
  private final Object refreshLock = new Object();
  private volatile List<Member> members;
  private volatile boolean closed;
  private long lastRefreshNanos; // guarded by refreshLock

  EndpointPool(List<String> specs, EndpointResolver resolver, ChannelFactory channels,
      CircuitBreakerConfig breakerConfig, Random startChoice) {
    EndpointResolver.validate(specs);
    this.specs = List.copyOf(specs);
    this.resolvable = specs.stream().anyMatch(s -> s.startsWith(EndpointResolver.DNS_PREFIX));
    this.resolver = resolver;
    this.channels = channels;
    this.breakerConfig = breakerConfig;
    this.members = build(resolver.resolve(this.specs), Map.of());
    this.lastRefreshNanos = System.nanoTime();
    // Start at a random endpoint so that many clients spread over the replicas.
    int n = members.size();
    preferred.set(startChoice == null || n == 0 ? 0 : startChoice.nextInt(n));
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
   * The endpoint for the next attempt: the preferred one, else the next whose circuit breaker
   * grants a permission (which then becomes preferred). When every breaker refuses, the
   * preferred endpoint is tried anyway, without a permission: the breakers choose among
   * endpoints but never leave the client with none, since a node agent that stops
   * heartbeating is soon declared SUSPECT. (Retry's backoff already spaces such attempts.)
   *
   * @throws UnavailableException when no endpoint resolved
   * @throws IllegalStateException after {@link #close()}
   */
  Pick acquire() {
    for (int round = 0; round < 2; round++) {
      if (closed) {
        throw new IllegalStateException("coordinator client closed");
      }
      List<Member> current = members;
      int n = current.size();
      int start = Math.floorMod(preferred.get(), Math.max(n, 1));
      for (int i = 0; i < n; i++) {
        int index = (start + i) % n;
        Member member = current.get(index);
        if (member.breaker.tryAcquirePermission()) {
          if (i > 0) {
            preferred.compareAndSet(start, index);
          }
          return new Pick(member, true);
        }
      }
      if (n > 0 && (round == 1 || !refresh())) {
        log.debug("every circuit is open; trying {} anyway", current.get(start).name);
        return new Pick(current.get(start), false);
      }
    }
    throw new UnavailableException("no coordinator endpoint resolved from " + specs, "", null);
  }

  /**
   * Called after {@code member} failed in a way another replica may not: the next calls prefer
   * the endpoint after it. A no-op when the preference already moved.
   */
  void moveOff(Member member, CoordinatorClientException why) {
    List<Member> current = members;
    int index = current.indexOf(member);
    if (index < 0 || current.size() < 2) {
      return;
    }
    int next = (index + 1) % current.size();
    if (preferred.compareAndSet(index, next)) {
      log.warn("coordinator endpoint {} failed: {}; moving to {}", member.name,
          why.getMessage(), current.get(next).name);
    }
  }

  /** The endpoint calls go to first, if any resolved. */
  Optional<Endpoint> preferred() {
    List<Member> current = members;
    if (current.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(current.get(Math.floorMod(preferred.get(), current.size())).endpoint);
  }

  List<Endpoint> endpoints() {
    return members.stream().map(m -> m.endpoint).toList();
  }

  /**
   * Resolves {@code dns:///} specs again, at most every 5 s: replicas behind a DNS name may
   * have moved. Keeps the channels of endpoints still present. Returns whether anything changed.
   */
  private boolean refresh() {
    if (!resolvable) {
      return false;
    }
    synchronized (refreshLock) {
      long now = System.nanoTime();
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
      preferred.set(0);
      for (Member m : old) {
        if (!fresh.contains(m)) {
          m.channel.shutdownNow();
        }
      }
      log.info("coordinator endpoints resolved again: {}", names(fresh));
      return true;
    }
  }

  private static List<String> names(List<Member> members) {
    return members.stream().map(m -> m.name).toList();
  }

  /** Shuts every channel down, waiting up to 5 s in all. Idempotent. */
  @Override
  public void close() {
    synchronized (refreshLock) {
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
