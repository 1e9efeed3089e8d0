package io.gitstratum.coordinator.facade.write;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.cache.CacheSupervisor;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.etcd.EtcdAccess;
import io.gitstratum.coordinator.facade.etcd.EtcdConnector;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.lease.LeasePool;
import io.gitstratum.coordinator.facade.store.TestStores;
import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The write path's parts on a real etcd, without the gRPC server: store, cache kept by its
 * supervisor, keep-alive streams, lease pool, and writers that tests start when they choose (so
 * that commands submitted before the start share one batch). Closes what it made.
 */
final class WriterRig implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(1);
  static final Duration SUSPECT = Duration.ofSeconds(4);

  final Keyspace keys;
  final FacadeMetrics metrics = new FacadeMetrics();
  final Client client;
  final EtcdTopologyStore store;
  final TopologyCache cache;
  final LeaseKeepAlives keepAlives;
  private final CacheSupervisor supervisor;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  final LeasePool pool;
  private final List<TopologyWriter> writers = new ArrayList<>();

  WriterRig(List<String> endpoints, String cluster) throws InterruptedException {
    keys = Keyspace.of(Keyspace.DEFAULT_ROOT, cluster);
    EtcdConnector connector = new EtcdConnector(endpoints, EtcdAccess.none(), TIMEOUT);
    client = connector.client();
    store = new EtcdTopologyStore(client, keys, TIMEOUT, metrics);
    TestStores.bootstrap(store);
    cache = new TopologyCache(keys);
    supervisor = new CacheSupervisor(store, cache, scheduler, Duration.ofMillis(500), TIMEOUT);
    supervisor.start();
    if (!cache.awaitSynced(Duration.ofSeconds(10))) {
      throw new IllegalStateException("the cache did not load");
    }
    keepAlives = new LeaseKeepAlives(connector.channels(), Optional.empty(), TIMEOUT, metrics);
    pool = new LeasePool(store, SUSPECT.toSeconds(), 2 * TxnLimits.ETCD_DEFAULT_MAX_OPS,
        Duration.ofSeconds(1), System::nanoTime);
  }

  /** A writer that is not started yet. */
  TopologyWriter writer(int maxQueued, TxnLimits limits) {
    TopologyWriter writer = new TopologyWriter(store, cache, TIMEOUT, 16, pool, keepAlives,
        Duration.ofSeconds(4), maxQueued, limits, Clock.systemUTC(), metrics);
    writers.add(writer);
    return writer;
  }

  TopologyWriter startedWriter() {
    TopologyWriter writer = writer(100, TxnLimits.DEFAULTS);
    writer.start();
    return writer;
  }

  /** The value of one of the metrics' counters, 0 when it was never counted. */
  double counter(String name, String labelValue) {
    return metrics.registry().scrape().stream()
        .filter(m -> m.getMetadata().getPrometheusName().equals(name))
        .flatMap(m -> m.getDataPoints().stream())
        .filter(p -> labelValue == null || p.getLabels().toString().contains(labelValue))
        .mapToDouble(p -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot
            .CounterDataPointSnapshot) p).getValue())
        .sum();
  }

  @Override
  public void close() throws ExecutionException, TimeoutException {
    writers.forEach(TopologyWriter::close);
    supervisor.close();
    try {
      // Once the supervisor has closed, the end of its watch is ignored.
      scheduler.submit(() -> {}).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    keepAlives.close();
    client.close();
    scheduler.shutdownNow();
  }
}
