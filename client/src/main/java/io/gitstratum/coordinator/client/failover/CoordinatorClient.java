package io.gitstratum.coordinator.client.failover;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc.CoordinatorAdminBlockingStub;
import io.gitstratum.coordinator.client.errors.ClientErrors;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.Remedy;
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

/**
 * A client of the coordinator facade that fails over between replicas, built to behave well
 * when thousands of clients meet the same trouble at once.
 *
 * <p>Every call goes to one preferred endpoint with a per-attempt deadline. Clients start at a
 * random endpoint (their home), so many clients spread over the replicas; one that had to move
 * goes to a random other healthy endpoint and returns home after a while ({@code EndpointPool}),
 * so the clients of a replica that recovers spread back.
 *
 * <p>What a failed attempt leads to follows its {@link Remedy} (status code and ErrorInfo
 * reason, docs/ERRORS.md): a failure of the replica (unreachable, deadline missed,
 * REPLICA_NOT_READY, SHUTTING_DOWN, REPLICA_OVERLOADED, a replica-wide limit) moves the client
 * to another endpoint and counts in that endpoint's circuit breaker; a failure every replica
 * shares (ETCD_UNAVAILABLE, WRITE_QUEUE_FULL, WRITE_CONTENTION, the caller's own rate limit) is
 * retried where the client is; anything else, including a message too large, is not retried.
 * Every RPC of the contract is idempotent, so retrying is safe.
 *
 * <p>Retries are bounded four ways: attempts per call ({@code maxAttempts}); waits between them,
 * an exponential backoff with jitter, or the delay the facade asked for ({@code RetryInfo}) plus
 * up to 25 % jitter, never less, and never beyond {@code maxRetryWait} (a longer ask ends the
 * call with its error); a call's own {@link CallLimit} (a node agent bounds a heartbeat by its
 * lease); and the client's retry budget, a token bucket like gRPC's retry throttling, which
 * allows retries only while failures stay under one in ten of the calls that succeed (by
 * default), so retries cannot multiply the load on replicas already failing. With every circuit
 * open, an attempt goes through only while that budget allows; otherwise the call fails at once.
 * Errors arrive as the typed exceptions of package {@code errors} (translated in
 * {@link ClientErrors} only).
 *
 * <p>Thread-safe; share one instance per process. The client owns its channels; {@link #close()}
 * shuts them down (streams opened with {@link #watchTopology} end with it).
 *
 * <p>{@link #admin()} reaches the operators' admin service over the same channels, with the same
 * deadline, retries and failover.
 */
public final class CoordinatorClient implements WatchSource, AutoCloseable {
  private final EndpointPool pool;
  private final Retrier retrier;
  private final Duration deadline;
  private final AdminClient admin;

  private CoordinatorClient(Builder builder) {
    this.deadline = builder.deadline;
    Random random = builder.random;
    RetryBudget budget = new RetryBudget(builder.budgetTokens, builder.budgetRatio);
    this.pool = new EndpointPool(builder.specs, builder.resolver, builder.channels,
        builder.breaker, builder.shuffle, random, System::nanoTime, builder.rebalanceAfter,
        budget::allowsRetry);
    this.retrier = new Retrier(builder.maxAttempts, builder.deadline,
        new RetryWaits(builder.initialBackoff, builder.maxBackoff, builder.maxRetryWait, random),
        budget, System::nanoTime, TimeUnit.NANOSECONDS::sleep);
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
    return heartbeat(request, null);
  }

  /**
   * Heartbeat, bounded further by {@code limit}: a node agent never lets one heartbeat take
   * longer than its node's lease has left.
   *
   * @param limit null for the client's settings alone
   */
  public HeartbeatResponse heartbeat(HeartbeatRequest request, CallLimit limit) {
    return call(limit, stub -> stub.heartbeat(request));
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

  /** The endpoint this client returns to after it had to move ({@code host:port}). */
  public Optional<String> homeEndpoint() {
    return pool.home().map(Endpoint::toString);
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
    return call(null, rpc);
  }

  private <T> T call(CallLimit limit, Function<CoordinatorServiceBlockingStub, T> rpc) {
    return retrier.call(limit, deadlineNanos -> attempt(member -> member.blocking, rpc,
        deadlineNanos));
  }

  /** A call of the admin service, retried and failed over like every other call. */
  <T> T callAdmin(Function<CoordinatorAdminBlockingStub, T> rpc) {
    return retrier.call(null, deadlineNanos -> attempt(member -> member.admin, rpc,
        deadlineNanos));
  }

  private <S extends AbstractStub<S>, T> T attempt(Function<EndpointPool.Member, S> stub,
      Function<S, T> rpc, long deadlineNanos) {
    EndpointPool.Pick pick = pool.acquire();
    EndpointPool.Member member = pick.member();
    long start = System.nanoTime();
    try {
      T result = rpc.apply(stub.apply(member).withDeadlineAfter(deadlineNanos,
          TimeUnit.NANOSECONDS));
      pick.succeeded(System.nanoTime() - start);
      return result;
    } catch (RuntimeException e) {
      CoordinatorClientException error = ClientErrors.fromThrowable(e, member.name);
      // The breaker records only failures of the replica (see Builder); the rest are answers.
      pick.failed(System.nanoTime() - start, error);
      if (error.remedy() == Remedy.ANOTHER_REPLICA) {
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
    private Duration maxRetryWait = Duration.ofSeconds(30);
    private int budgetTokens = 10;
    private double budgetRatio = 0.1;
    private Duration rebalanceAfter = Duration.ofMinutes(1);
    private boolean shuffle = true;
    private Random random = new Random();
    private ChannelFactory channels = ChannelFactory.plaintext();
    private EndpointResolver resolver = new EndpointResolver();
    private CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
        .slidingWindowSize(20)
        .minimumNumberOfCalls(5)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(5))
        .permittedNumberOfCallsInHalfOpenState(2)
        .recordException(e -> e instanceof CoordinatorClientException c
            && c.remedy() == Remedy.ANOTHER_REPLICA)
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

    /** Backoff between attempts: doubles from {@code initial} up to {@code max}; each wait is
     * a random time between half and all of that. */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = requirePositive(initial, "initial backoff");
      this.maxBackoff = requirePositive(max, "max backoff");
      return this;
    }

    /**
     * The longest wait between attempts (default 30 s): a facade that asks for longer
     * ({@code RetryInfo}) gets the error back to the caller instead. At least the max backoff.
     */
    public Builder maxRetryWait(Duration max) {
      this.maxRetryWait = requirePositive(max, "max retry wait");
      return this;
    }

    /**
     * The retry budget (default 10 tokens, 0.1 per success, as in gRPC's retry throttling):
     * each retryable failure takes a token, each success gives back {@code tokenRatio}, and
     * retries are made only while more than half the tokens are left.
     */
    public Builder retryBudget(int maxTokens, double tokenRatio) {
      new RetryBudget(maxTokens, tokenRatio); // validates
      this.budgetTokens = maxTokens;
      this.budgetRatio = tokenRatio;
      return this;
    }

    /**
     * How long a client that had to leave its home endpoint stays away at most (default 1 min;
     * each time a random part between half and all of it): then it goes back, so the clients
     * of a recovered replica spread back over it.
     */
    public Builder rebalanceAfter(Duration rebalanceAfter) {
      this.rebalanceAfter = requirePositive(rebalanceAfter, "rebalanceAfter");
      return this;
    }

    /** The source of every random choice: endpoints, jitter (tests pass a seeded one). */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
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
     * The per-endpoint circuit breaker. The default opens at 50 % failures over the last 20
     * calls (at least 5) and half-opens after 5 s; only failures of the replica count (remedy
     * {@link Remedy#ANOTHER_REPLICA}).
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
      if (maxRetryWait.compareTo(maxBackoff) < 0) {
        throw new IllegalArgumentException("maxRetryWait " + maxRetryWait
            + " must be at least the max backoff " + maxBackoff);
      }
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
