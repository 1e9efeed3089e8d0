package io.gitstratum.coordinator.client.failover;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc.CoordinatorAdminBlockingStub;
import io.gitstratum.coordinator.client.errors.ClientErrors;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import io.gitstratum.coordinator.proto.GetHashRingRequest;
import io.gitstratum.coordinator.proto.GetHashRingResponse;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetLeaderResponse;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.grpc.stub.AbstractStub;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the coordinator facade that fails over between replicas.
 *
 * <p>Every call goes to one preferred endpoint (chosen at random when the client is built, so
 * many clients spread over the replicas) with a per-attempt deadline. An attempt that ends
 * UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED moves the preference to the next endpoint
 * and is retried there after an exponential backoff with jitter (Resilience4j {@code Retry}), or
 * after the delay the facade asked for ({@code RetryInfo}) when that is longer, up to the cap;
 * every RPC of the contract is idempotent, so retrying is always safe. Each endpoint has a
 * Resilience4j {@code CircuitBreaker} that counts only unavailability: while it is open the
 * endpoint is skipped in favour of one whose breaker is closed; when every breaker is open the
 * preferred endpoint is still tried (a coordinator client must not go silent). Other errors are
 * not retried and arrive as the typed exceptions of package {@code errors} (translated in
 * {@link ClientErrors} only).
 *
 * <p>Thread-safe; share one instance per process. Calls block the calling thread for at most
 * {@code maxAttempts × (deadline + backoff)}. The client owns its channels; {@link #close()}
 * shuts them down (streams opened with {@link #watchTopology} end with it).
 *
 * <p>{@link #admin()} reaches the operators' admin service over the same channels, with the same
 * deadline, retries and failover.
 */
public final class CoordinatorClient implements WatchSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorClient.class);

  private final EndpointPool pool;
  private final Retry retry;
  private final Duration deadline;
  private final AdminClient admin;

  private CoordinatorClient(Builder builder) {
    this.deadline = builder.deadline;
    this.pool = new EndpointPool(builder.specs, builder.resolver, builder.channels,
        builder.breaker, builder.shuffle ? new Random() : null);
    IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(
        builder.initialBackoff, 2.0, 0.5, builder.maxBackoff);
    long maxWaitMillis = builder.maxBackoff.toMillis();
    this.retry = Retry.of("coordinator", RetryConfig.custom()
        .maxAttempts(builder.maxAttempts)
        .intervalBiFunction((attempt, outcome) -> {
          long wait = backoff.apply(attempt);
          // A facade that names a delay (RetryInfo: rate limits) is waited for, up to the cap.
          if (outcome.isLeft() && outcome.getLeft() instanceof CoordinatorClientException c
              && c.retryDelay().isPresent()) {
            wait = Math.max(wait, Math.min(maxWaitMillis, c.retryDelay().get().toMillis()));
          }
          return wait;
        })
        .retryOnException(e -> e instanceof CoordinatorClientException c && c.isRetryable())
        .build());
    retry.getEventPublisher().onRetry(event -> log.debug("coordinator call retry {}: {}",
        event.getNumberOfRetryAttempts(), event.getLastThrowable().getMessage()));
    this.admin = new AdminClient(this);
  }

  /** A builder for endpoint specs such as {@code ["coord-0:9000", "coord-1:9000"]}. */
  public static Builder builder(List<String> endpointSpecs) {
    return new Builder(endpointSpecs);
  }

  /** A builder for a comma-separated spec list such as {@code "coord-0:9000,coord-1:9000"}. */
  public static Builder builder(String commaSeparatedSpecs) {
    return new Builder(EndpointResolver.splitSpecs(commaSeparatedSpecs));
  }

  /** GetTopology; {@code linearizable} reads see every write acknowledged before the call. */
  public GetTopologyResponse getTopology(boolean linearizable) {
    return getTopology(GetTopologyRequest.newBuilder().setLinearizable(linearizable).build());
  }

  public GetTopologyResponse getTopology(GetTopologyRequest request) {
    return call(stub -> stub.getTopology(request));
  }

  public GetHashRingResponse getHashRing() {
    return call(stub -> stub.getHashRing(GetHashRingRequest.getDefaultInstance()));
  }

  public GetLeaderResponse getLeader() {
    return call(stub -> stub.getLeader(GetLeaderRequest.getDefaultInstance()));
  }

  public HealthCheckResponse healthCheck() {
    return call(stub -> stub.healthCheck(HealthCheckRequest.getDefaultInstance()));
  }

  /** RegisterNode; re-registering the same node and generation is a no-op. */
  public RegisterNodeResponse registerNode(NodeInfo node) {
    RegisterNodeRequest request = RegisterNodeRequest.newBuilder().setNode(node).build();
    return call(stub -> stub.registerNode(request));
  }

  /**
   * DeregisterNode; an unknown id succeeds.
   *
   * @param generationId the registered generation, or "" to remove whatever process holds the id
   */
  public DeregisterNodeResponse deregisterNode(String nodeId, String generationId) {
    DeregisterNodeRequest request = DeregisterNodeRequest.newBuilder()
        .setNodeId(nodeId).setGenerationId(Objects.requireNonNullElse(generationId, "")).build();
    return call(stub -> stub.deregisterNode(request));
  }

  public HeartbeatResponse heartbeat(HeartbeatRequest request) {
    return call(stub -> stub.heartbeat(request));
  }

  /**
   * Opens a WatchTopology stream on the preferred endpoint. Not retried here: a stream that
   * breaks reports it to {@code observer} (and moves the preference off its endpoint), and the
   * consumer resumes with the last version it holds; {@code TopologyWatcher} does all that.
   */
  @Override
  public WatchCall watchTopology(long sinceVersion, WatchObserver observer) {
    return GrpcWatchCall.open(pool, sinceVersion, Objects.requireNonNull(observer, "observer"));
  }

  /**
   * The admin service ({@code gitstratum.admin.CoordinatorAdmin}) through this client: same
   * endpoints and TLS identity, deadline, retries and failover. For operators' tools; with mutual
   * TLS only operator certificates may call it (docs/SECURITY.md). Closing this client ends it.
   */
  public AdminClient admin() {
    return admin;
  }

  /** The endpoint the next call goes to first ({@code host:port}). */
  public Optional<String> currentEndpoint() {
    return pool.preferred().map(Endpoint::toString);
  }

  /** Every endpoint currently known ({@code host:port}). */
  public List<String> endpoints() {
    return pool.endpoints().stream().map(Endpoint::toString).toList();
  }

  /** The per-attempt deadline. */
  public Duration deadline() {
    return deadline;
  }

  private <T> T call(Function<CoordinatorServiceBlockingStub, T> rpc) {
    return retry.executeSupplier(() -> attempt(member -> member.blocking, rpc));
  }

  /** A call of the admin service, retried and failed over like every other call. */
  <T> T callAdmin(Function<CoordinatorAdminBlockingStub, T> rpc) {
    return retry.executeSupplier(() -> attempt(member -> member.admin, rpc));
  }

  private <S extends AbstractStub<S>, T> T attempt(Function<EndpointPool.Member, S> stub,
      Function<S, T> rpc) {
    EndpointPool.Pick pick = pool.acquire();
    EndpointPool.Member member = pick.member();
    long start = System.nanoTime();
    try {
      T result = rpc.apply(stub.apply(member).withDeadlineAfter(deadline.toNanos(),
          TimeUnit.NANOSECONDS));
      pick.succeeded(System.nanoTime() - start);
      return result;
    } catch (RuntimeException e) {
      CoordinatorClientException error = ClientErrors.fromThrowable(e, member.name);
      // The breaker records only unavailability (see Builder); anything else is a healthy answer.
      pick.failed(System.nanoTime() - start, error);
      if (error.isRetryable()) {
        pool.moveOff(member, error);
      }
      throw error;
    }
  }

  /** Shuts the channels down (waits up to 5 s). Idempotent. */
  @Override
  public void close() {
    pool.close();
  }

  /** Settings of a {@link CoordinatorClient}. Not thread-safe. */
  public static final class Builder {
    private final List<String> specs;
    private Duration deadline = Duration.ofSeconds(5);
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(2);
    private boolean shuffle = true;
    private ChannelFactory channels = ChannelFactory.plaintext();
    private EndpointResolver resolver = new EndpointResolver();
    private CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
        .slidingWindowSize(20)
        .minimumNumberOfCalls(5)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(5))
        .permittedNumberOfCallsInHalfOpenState(2)
        .recordException(e -> e instanceof UnavailableException)
        .build();

    private Builder(List<String> specs) {
      this.specs = List.copyOf(specs);
    }

    /** Deadline of each attempt (default 5 s). */
    public Builder deadline(Duration deadline) {
      this.deadline = requirePositive(deadline, "deadline");
      return this;
    }

    /** Attempts per call, the first included (default 5). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Backoff between attempts: doubles from {@code initial} up to {@code max}, ±50 % jitter. */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = requirePositive(initial, "initial backoff");
      this.maxBackoff = requirePositive(max, "max backoff");
      return this;
    }

    /** Start at a random endpoint (default) or at the first one given. */
    public Builder shuffleEndpoints(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** How channels are made (default: plaintext Netty). */
    public Builder channelFactory(ChannelFactory channels) {
      this.channels = Objects.requireNonNull(channels, "channels");
      return this;
    }

    /** How {@code dns:///} specs are resolved (default: the JVM's resolver). */
    public Builder resolver(EndpointResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * The per-endpoint circuit breaker. The default opens at 50 % unavailability over the last
     * 20 calls (at least 5) and half-opens after 5 s; only {@link UnavailableException} counts.
     */
    public Builder circuitBreaker(CircuitBreakerConfig config) {
      this.breaker = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * Creates the client; resolves {@code dns:///} specs (blocking on DNS).
     *
     * @throws IllegalArgumentException on an empty or malformed endpoint list
     */
    public CoordinatorClient build() {
      return new CoordinatorClient(this);
    }

    private static Duration requirePositive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
