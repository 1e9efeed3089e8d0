package io.gitstratum.coordinator.facade.config;

import io.gitstratum.coordinator.facade.detect.DetectorSettings;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.store.EtcdAccess;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a facade replica is configured with; README.md lists each setting with its flag,
 * environment variable and default. Immutable.
 *
 * @param listenHost host to bind the gRPC port on
 * @param listenPort gRPC port; 0 picks a free one (tests)
 * @param advertiseAddress host:port other replicas and clients reach this replica at
 * @param httpHost host of the operations port (metrics, health, status page)
 * @param httpPort operations port; 0 picks a free one (tests)
 * @param replicaId this replica's name in the election and under {@code P/facades/}
 * @param etcdEndpoints etcd client URLs
 * @param etcdRoot key root, such as {@code /gitstratum}
 * @param cluster cluster name; the prefix is {@code <etcdRoot>/<cluster>/}
 * @param etcdTimeout deadline of every etcd call
 * @param startupTimeout how long start-up waits for etcd before giving up
 * @param cacheCheckInterval how often the cache is checked against etcd's version key
 * @param casAttempts attempts of one write under compare-and-swap contention
 * @param watch limits of the WatchTopology fan-out
 * @param sessionTtl lease of this replica's session: how fast another replica takes over the
 *     detector when this one dies (whole seconds)
 * @param detector failure detector behaviour
 * @param embeddedEtcdDir when set, the facade starts its own local etcd with this data dir
 * @param embeddedEtcdPort client port of the embedded etcd
 * @param limits request rate, stream and size limits
 * @param tls TLS of the gRPC port and node-bound authorization
 * @param etcdAccess TLS and authentication towards etcd
 */
public record FacadeConfig(
    String listenHost,
    int listenPort,
    String advertiseAddress,
    String httpHost,
    int httpPort,
    String replicaId,
    List<String> etcdEndpoints,
    String etcdRoot,
    String cluster,
    Duration etcdTimeout,
    Duration startupTimeout,
    Duration cacheCheckInterval,
    int casAttempts,
    Duration heartbeatInterval,
    Duration suspectTimeout,
    Duration downTimeout,
    int virtualNodesPerPhysical,
    int replicationFactor,
    WatchSettings watch,
    Duration sessionTtl,
    DetectorSettings detector,
    Path embeddedEtcdDir,
    int embeddedEtcdPort,
    LimitSettings limits,
    TlsSettings tls,
    EtcdAccess etcdAccess) {

  public FacadeConfig {
    etcdEndpoints = List.copyOf(etcdEndpoints);
    require(!etcdEndpoints.isEmpty(), "--etcd-endpoints must name at least one endpoint");
    require(listenPort >= 0 && listenPort <= 65535, "--listen port must be 0-65535");
    require(httpPort >= 0 && httpPort <= 65535, "--http-listen port must be 0-65535");
    require(!etcdTimeout.isNegative() && !etcdTimeout.isZero(), "--etcd-timeout must be > 0");
    require(casAttempts >= 1, "--cas-attempts must be >= 1");
    require(virtualNodesPerPhysical >= 1 && virtualNodesPerPhysical <= 4096,
        "--virtual-nodes must be 1-4096");
    require(replicationFactor >= 1 && replicationFactor <= 16,
        "--replication-factor must be 1-16");
    require(wholeSeconds(suspectTimeout) && wholeSeconds(downTimeout),
        "--suspect-timeout and --down-timeout are etcd lease TTLs: whole seconds");
    require(suspectTimeout.compareTo(Duration.ofSeconds(2)) >= 0,
        "--suspect-timeout must be at least 2s (etcd's minimum lease TTL)");
    require(downTimeout.compareTo(suspectTimeout) > 0,
        "--down-timeout must be longer than --suspect-timeout");
    require(heartbeatInterval.compareTo(suspectTimeout) < 0,
        "--heartbeat-interval must be shorter than --suspect-timeout");
    require(wholeSeconds(sessionTtl) && sessionTtl.compareTo(Duration.ofSeconds(2)) >= 0,
        "--session-ttl must be whole seconds, at least 2s");
    etcdAccess.tls(etcdEndpoints); // rejects a mix of http and https endpoints
  }

  /** Defaults for a replica on {@code etcdEndpoints}: the values of README's table. */
  public static FacadeConfig defaults(List<String> etcdEndpoints) {
    return new FacadeConfig("0.0.0.0", 9000, "localhost:9000", "0.0.0.0", 9090, "localhost:9000",
        etcdEndpoints,
        "/gitstratum", "default", Duration.ofSeconds(3), Duration.ofSeconds(60),
        Duration.ofSeconds(2), 16, Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60), 16, 3, WatchSettings.defaults(), Duration.ofSeconds(10),
        DetectorSettings.defaults(), null, 2379,
        LimitSettings.defaults(), TlsSettings.plaintext(), EtcdAccess.none());
  }

  public FacadeConfig withEtcdEndpoints(List<String> endpoints) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, endpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeatInterval, suspectTimeout, downTimeout, virtualNodesPerPhysical,
        replicationFactor, watch, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
        limits, tls, etcdAccess);
  }

  public FacadeConfig withWatch(WatchSettings settings) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, etcdEndpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeatInterval, suspectTimeout, downTimeout, virtualNodesPerPhysical,
        replicationFactor, settings, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
        limits, tls, etcdAccess);
  }

  public FacadeConfig withLiveness(Duration heartbeat, Duration suspect, Duration down) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, etcdEndpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeat, suspect, down, virtualNodesPerPhysical,
        replicationFactor, watch, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
        limits, tls, etcdAccess);
  }

  public FacadeConfig withDetector(DetectorSettings settings) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, etcdEndpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeatInterval, suspectTimeout, downTimeout, virtualNodesPerPhysical,
        replicationFactor, watch, sessionTtl, settings, embeddedEtcdDir, embeddedEtcdPort,
        limits, tls, etcdAccess);
  }

  public FacadeConfig withLimits(LimitSettings settings) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, etcdEndpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeatInterval, suspectTimeout, downTimeout, virtualNodesPerPhysical,
        replicationFactor, watch, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
        settings, tls, etcdAccess);
  }

  public FacadeConfig withTls(TlsSettings settings) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, etcdEndpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeatInterval, suspectTimeout, downTimeout, virtualNodesPerPhysical,
        replicationFactor, watch, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
        limits, settings, etcdAccess);
  }

  /** Other etcd endpoints reached with other credentials (etcd with TLS and auth). */
  public FacadeConfig withEtcd(List<String> endpoints, EtcdAccess access) {
    return new FacadeConfig(listenHost, listenPort, advertiseAddress, httpHost, httpPort,
        replicaId, endpoints,
        etcdRoot, cluster, etcdTimeout, startupTimeout, cacheCheckInterval, casAttempts,
        heartbeatInterval, suspectTimeout, downTimeout, virtualNodesPerPhysical,
        replicationFactor, watch, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
        limits, tls, access);
  }

  private static boolean wholeSeconds(Duration d) {
    return d.getNano() == 0;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
