package io.gitstratum.coordinator.facade.server;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.cache.CacheSupervisor;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.detect.FailureDetector;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.leader.DetectorElection;
import io.gitstratum.coordinator.facade.ops.OpsHttpServer;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.facade.etcd.EtcdReachability;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.tls.ServerTls;
import io.gitstratum.coordinator.facade.watch.WatchHub;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One facade replica's lifecycle, in one list ({@link #parts}): started in order, stopped in
 * reverse. Stopping sends health NOT_SERVING and closes the HTTP port first (load balancers stop
 * routing), ends watch streams (clients move to another replica), stops the detector and gives
 * the election up (another replica detects at once), then lets gRPC calls drain, and releases
 * the writer, the cache, lease renewals, threads and the etcd client last.
 */
public final class FacadeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FacadeServer.class);
  private static final Duration DRAIN = Duration.ofSeconds(5);
  /** While start-up waits for etcd: one line this often, not one per attempt. */
  private static final Duration REPORT_EVERY = Duration.ofSeconds(15);

  private final FacadeConfig config;
  private final Client etcd;
  private final EtcdTopologyStore store;
  private final TopologyCache cache;
  private final CacheSupervisor supervisor;
  private final WatchHub hub;
  private final Liveness liveness;
  private final OpsHttpServer ops;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private ScheduledFuture<?> readiness;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ServerTls tls;
  private final EtcdMemberHealth members;
  private final Lifecycle parts;

  public FacadeServer(FacadeConfig config, Client etcd, EtcdTopologyStore store,
      TopologyCache cache, CacheSupervisor supervisor, WatchHub hub, Liveness liveness,
      OpsHttpServer ops, ScheduledExecutorService scheduler,
      Clock clock, ServerBuilder<?> builder, List<ServerServiceDefinition> services,
      ServerTls tls, EtcdMemberHealth members) {
    this.tls = tls;
    this.members = members;
    this.config = config;
    this.etcd = etcd;
    this.store = store;
    this.cache = cache;
    this.supervisor = supervisor;
    this.hub = hub;
    this.liveness = liveness;
    this.ops = ops;
    this.scheduler = scheduler;
    this.clock = clock;
    // Malformed requests become INVALID_ARGUMENT in our code, not INTERNAL in gRPC's.
    services.forEach(service -> builder.addService(RequestDecoding.strict(service)));
    this.server = builder
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .build();
    setServing(ServingStatus.NOT_SERVING); // until the cache follows etcd
    this.parts = parts();
  }

  private Lifecycle parts() {
    return new Lifecycle()
        .release("etcd client", etcd::close)
        .release("etcd commit routes", store::close)
        .release("timers", this::stopTimers)
        .release("detector thread", () -> liveness.thread().shutdown())
        .release("lease renewals", () -> liveness.keepAlives().close())
        .release("HTTP port", ops::close) // bound since construction
        .release("watch threads", hub::close)
        .begin("gRPC port check", this::checkGrpcPort)
        .begin("prefix bootstrap", this::bootstrap)
        .add("cache supervisor", supervisor::start, supervisor::close)
        .begin("topology cache", this::awaitCache)
        .add("writer", () -> liveness.writer().start(), () -> liveness.writer().close())
        .add("gRPC", server::start, this::drainCalls)
        // SERVING once the cache follows etcd and gRPC answers: what starts below runs in the
        // background or serves operators, and a start need not wait for it. A stop still begins
        // with NOT_SERVING (the last part); this one's stop covers a start failing below.
        .add("readiness", this::followReadiness, this::stopServing)
        .add("detector election", () -> liveness.election().start(),
            () -> liveness.election().close()) // another replica detects at once
        .add("failure detector", () -> liveness.detector().start(),
            () -> liveness.detector().close())
        .release("watch streams", hub::close) // their clients move to another replica now
        .begin("TLS reloading", () -> tls.startReloading(scheduler)) // stops with the timers
        .add("etcd member check", members::start, members::close)
        .add("HTTP", ops::start, ops::close)
        .release("NOT_SERVING", this::stopServing);
  }

  /**
   * Bootstraps the prefix (waiting up to the start-up timeout for etcd), starts the cache and
   * the gRPC port.
   *
   * @throws IOException when the port cannot be bound
   * @throws UnavailableException when etcd stayed unreachable for the whole start-up timeout
   */
  public FacadeServer start() throws IOException {
    try {
      parts.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed.set(true);
      throw new UnavailableException("interrupted during start-up", e);
    } catch (IOException | RuntimeException e) {
      closed.set(true);
      throw e;
    } catch (Exception e) {
      closed.set(true);
      throw new IllegalStateException("start-up failed", e);
    }
    log.info("facade {} serving gRPC ({}) on {}:{}, HTTP on {}:{} (prefix {}, etcd {}), {} after "
        + "the process started", config.listen().replicaId(), !config.tls().enabled()
            ? "plaintext" : config.tls().mutual() ? "mutual TLS" : "TLS",
        config.listen().host(), server.getPort(), config.listen().httpHost(), ops.port(),
        store.keys().prefix(), config.etcd().endpoints(), ProcessAge.describe());
    return this;
  }

  /**
   * Binds the gRPC port and lets it go: gRPC itself binds only once the cache follows etcd, and a
   * taken port (a second facade on this machine, usually) should stop the start before this
   * replica writes to etcd or joins the election. Binds as gRPC does, with SO_REUSEADDR.
   */
  private void checkGrpcPort() {
    if (config.listen().port() == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(config.listen().host(), config.listen().port()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the gRPC port (--listen) "
          + config.listen().host() + ":" + config.listen().port(), e);
    }
  }

  private void awaitCache() throws InterruptedException {
    if (!cache.awaitSynced(config.etcd().startupTimeout())) {
      throw new UnavailableException("the topology cache did not load from etcd within "
          + config.etcd().startupTimeout(), null);
    }
  }

  private void followReadiness() {
    followCache(); // now, not when the timer thread gets the CPU
    readiness = scheduler.scheduleWithFixedDelay(this::followCache, 200, 200,
        TimeUnit.MILLISECONDS);
  }

  private void followCache() {
    setServing(cache.isSynced() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  private void stopServing() {
    health.enterTerminalState();
    readiness.cancel(false); // a second stop cancels it again: nothing happens
  }

  private void drainCalls() throws InterruptedException {
    server.shutdown();
    try {
      if (!server.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      throw e;
    }
  }

  private void stopTimers() throws InterruptedException {
    scheduler.shutdown();
    scheduler.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The failure-detection parts a replica runs (their order: {@link #parts}). */
  public record Liveness(DetectorElection election, FailureDetector detector,
      LeaseKeepAlives keepAlives, ScheduledExecutorService thread, TopologyWriter writer) {}

  /** The bound HTTP operations port. */
  public int httpPort() {
    return ops.port();
  }

  /** The bound gRPC port (useful with port 0). */
  public int port() {
    return server.getPort();
  }

  private void bootstrap() {
    HashRingConfig ring = HashRingConfig.newBuilder()
        .setVirtualNodesPerPhysical(config.ring().virtualNodesPerPhysical())
        .setReplicationFactor(config.ring().replicationFactor())
        .build();
    long started = System.nanoTime();
    long deadline = started + config.etcd().startupTimeout().toNanos();
    long nextReport = started;
    for (int attempt = 1; ; attempt++) {
      try {
        store.bootstrap(config.listen().replicaId(), ring, clock.millis());
        return;
      } catch (UnavailableException e) {
        long now = System.nanoTime();
        if (now > deadline || now >= nextReport) {
          // Why, in words: jetcd makes a refused connection look like a timeout.
          String why = EtcdReachability.describe(config.etcd().endpoints(), Duration.ofSeconds(1));
          long limit = config.etcd().startupTimeout().toSeconds();
          if (now > deadline) {
            // Not chained: the jetcd timeout under it says less than the probe.
            throw new UnavailableException("etcd unreachable for " + limit + " s at start-up ("
                + "--startup-timeout): " + why, null);
          }
          log.warn("waiting for etcd (up to {} s): {}", limit, why);
          nextReport = now + REPORT_EVERY.toNanos(); // one line per 15 s, not per attempt
        }
        sleepQuietly(Math.min(2000, 100L * attempt));
      }
    }
  }

  private void setServing(ServingStatus status) {
    health.setStatus("", status);
    health.setStatus("gitstratum.CoordinatorService", status);
  }

  /** Blocks until the gRPC server has terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops serving and releases everything; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("facade {} shutting down", config.listen().replicaId());
    parts.stop();
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted during start-up", e);
    }
  }
}
