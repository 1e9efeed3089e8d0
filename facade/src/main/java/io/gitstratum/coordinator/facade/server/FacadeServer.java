package io.gitstratum.coordinator.facade.server;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.cache.CacheSupervisor;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.detect.FailureDetector;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.leader.DetectorElection;
import io.gitstratum.coordinator.facade.ops.OpsHttpServer;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.tls.ServerTls;
import io.gitstratum.coordinator.facade.watch.WatchHub;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One facade replica's lifecycle. Starts in this order: bootstrap the prefix, load the cache,
 * then the writer, the detector election, the detector, the gRPC port, TLS reloading and the
 * HTTP port. Closes the other way round where it matters: HTTP and watch streams first (clients
 * move to another replica), then the detector and the election (another replica detects at
 * once), then gRPC drains, then the cache, the writer, lease renewals, threads, the etcd client.
 */
public final class FacadeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FacadeServer.class);
  private static final Duration DRAIN = Duration.ofSeconds(5);

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

  public FacadeServer(FacadeConfig config, Client etcd, EtcdTopologyStore store,
      TopologyCache cache, CacheSupervisor supervisor, WatchHub hub, Liveness liveness,
      OpsHttpServer ops, ScheduledExecutorService scheduler,
      Clock clock, ServerBuilder<?> builder, CoordinatorService service, ServerTls tls) {
    this.tls = tls;
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
    this.server = builder
        // Malformed requests become INVALID_ARGUMENT in our code, not INTERNAL in gRPC's.
        .addService(RequestDecoding.strict(service.definition()))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .build();
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
      bootstrap();
      supervisor.start();
      if (!cache.awaitSynced(config.startupTimeout())) {
        throw new UnavailableException("the topology cache did not load from etcd within "
            + config.startupTimeout(), null);
      }
      liveness.writer().start();
      liveness.election().start();
      liveness.detector().start();
      server.start();
      tls.startReloading(scheduler);
      ops.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new UnavailableException("interrupted during start-up", e);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    setServing(ServingStatus.NOT_SERVING);
    readiness = scheduler.scheduleWithFixedDelay(
        () -> setServing(cache.isSynced() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING),
        0, 200, TimeUnit.MILLISECONDS);
    log.info("facade {} serving gRPC ({}) on {}:{}, HTTP on {}:{} (prefix {}, etcd {})",
        config.replicaId(), !config.tls().enabled() ? "plaintext"
            : config.tls().mutual() ? "mutual TLS" : "TLS",
        config.listenHost(), server.getPort(), config.httpHost(), ops.port(),
        store.keys().prefix(), config.etcdEndpoints());
    return this;
  }

  /** The failure-detection parts a replica runs, started after the cache and stopped first. */
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
        .setVirtualNodesPerPhysical(config.virtualNodesPerPhysical())
        .setReplicationFactor(config.replicationFactor())
        .build();
    long deadline = System.nanoTime() + config.startupTimeout().toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        store.bootstrap(config.replicaId(), ring, clock.millis());
        return;
      } catch (UnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw new UnavailableException("etcd " + config.etcdEndpoints()
              + " unreachable for " + config.startupTimeout() + " at start-up", e);
        }
        log.warn("waiting for etcd {} (attempt {}): {}", config.etcdEndpoints(), attempt,
            e.getMessage());
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
    log.info("facade {} shutting down", config.replicaId());
    health.enterTerminalState();
    if (readiness != null) {
      readiness.cancel(false);
    }
    ops.close();
    hub.close(); // ends watch streams now, so their clients move to another replica
    liveness.detector().close();
    liveness.election().close(); // gives the election up, so another replica detects at once
    server.shutdown();
    try {
      if (!server.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    supervisor.close();
    liveness.writer().close();
    liveness.keepAlives().close();
    liveness.thread().shutdown();
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    etcd.close();
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
