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
 * @param etcdMaxResponseBytes largest etcd response the facade accepts (jetcd's inbound message
 *     limit); reads whose size grows with the cluster come in pages of a quarter of it
 * @param startupTimeout how long start-up waits for etcd before giving up
 * @param cacheCheckInterval how often the cache is checked against etcd's version key
 * @param casAttempts attempts of one write under compare-and-swap contention
 * @param heartbeatShedAfter a heartbeat is refused at once (UNAVAILABLE, REPLICA_OVERLOADED, with
 *     a RetryInfo) while lease renewals have kept waiting this long for etcd on its stream (a
 *     standing queue, see LeaseKeepAlives): past its capacity a replica sheds the excess instead
 *     of queueing it, never a heartbeat whose lease is more than half gone; zero never sheds
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
    int etcdMaxResponseBytes,
    Duration startupTimeout,
    Duration cacheCheckInterval,
    int casAttempts,
    Duration heartbeatInterval,
    Duration suspectTimeout,
    Duration downTimeout,
    Duration heartbeatShedAfter,
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
    require(etcdMaxResponseBytes >= 1 << 20, "--etcd-max-response-bytes must be at least 1 MiB");
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
    require(!heartbeatShedAfter.isNegative(), "--heartbeat-shed-after must be >= 0");
    require(heartbeatInterval.compareTo(suspectTimeout) < 0,
        "--heartbeat-interval must be shorter than --suspect-timeout");
    require(wholeSeconds(sessionTtl) && sessionTtl.compareTo(Duration.ofSeconds(2)) >= 0,
        "--session-ttl must be whole seconds, at least 2s");
    etcdAccess.tls(etcdEndpoints); // rejects a mix of http and https endpoints
  }

  /** 16 MiB: a 4 MiB page of nodes or events, or a watch response with a large group commit. */
  public static final int DEFAULT_ETCD_MAX_RESPONSE_BYTES = 16 << 20;

  /** Half the 100 ms an accepted heartbeat may take past the replica's capacity. */
  public static final Duration DEFAULT_HEARTBEAT_SHED_AFTER = Duration.ofMillis(50);

  /** Defaults for a replica on {@code etcdEndpoints}: the values of README's table. */
  public static FacadeConfig defaults(List<String> etcdEndpoints) {
    return new FacadeConfig("0.0.0.0", 9000, "localhost:9000", "0.0.0.0", 9090, "localhost:9000",
        etcdEndpoints,
        "/gitstratum", "default", Duration.ofSeconds(3), DEFAULT_ETCD_MAX_RESPONSE_BYTES,
        Duration.ofSeconds(60),
        Duration.ofSeconds(2), 16, Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60), DEFAULT_HEARTBEAT_SHED_AFTER, 16, 3, WatchSettings.defaults(), Duration.ofSeconds(10),
        DetectorSettings.defaults(), null, 2379,
        LimitSettings.defaults(), TlsSettings.plaintext(), EtcdAccess.none());
  }

  public FacadeConfig withEtcdEndpoints(List<String> endpoints) {
    return toBuilder().etcdEndpoints(endpoints).build();
  }

  public FacadeConfig withWatch(WatchSettings settings) {
    return toBuilder().watch(settings).build();
  }

  public FacadeConfig withLiveness(Duration heartbeat, Duration suspect, Duration down) {
    return toBuilder().heartbeatInterval(heartbeat).suspectTimeout(suspect).downTimeout(down)
        .build();
  }

  public FacadeConfig withDetector(DetectorSettings settings) {
    return toBuilder().detector(settings).build();
  }

  public FacadeConfig withLimits(LimitSettings settings) {
    return toBuilder().limits(settings).build();
  }

  public FacadeConfig withTls(TlsSettings settings) {
    return toBuilder().tls(settings).build();
  }

  /** Other etcd endpoints reached with other credentials (etcd with TLS and auth). */
  public FacadeConfig withEtcd(List<String> endpoints, EtcdAccess access) {
    return toBuilder().etcdEndpoints(endpoints).etcdAccess(access).build();
  }

  /** A builder holding this configuration's values; {@link Builder#build} validates again. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some settings of a configuration, one copy routine for all of them. */
  public static final class Builder {
    private String listenHost;
    private int listenPort;
    private String advertiseAddress;
    private String httpHost;
    private int httpPort;
    private String replicaId;
    private List<String> etcdEndpoints;
    private String etcdRoot;
    private String cluster;
    private Duration etcdTimeout;
    private int etcdMaxResponseBytes;
    private Duration startupTimeout;
    private Duration cacheCheckInterval;
    private int casAttempts;
    private Duration heartbeatInterval;
    private Duration suspectTimeout;
    private Duration downTimeout;
    private Duration heartbeatShedAfter;
    private int virtualNodesPerPhysical;
    private int replicationFactor;
    private WatchSettings watch;
    private Duration sessionTtl;
    private DetectorSettings detector;
    private Path embeddedEtcdDir;
    private int embeddedEtcdPort;
    private LimitSettings limits;
    private TlsSettings tls;
    private EtcdAccess etcdAccess;

    private Builder(FacadeConfig from) {
      listenHost = from.listenHost;
      listenPort = from.listenPort;
      advertiseAddress = from.advertiseAddress;
      httpHost = from.httpHost;
      httpPort = from.httpPort;
      replicaId = from.replicaId;
      etcdEndpoints = from.etcdEndpoints;
      etcdRoot = from.etcdRoot;
      cluster = from.cluster;
      etcdTimeout = from.etcdTimeout;
      etcdMaxResponseBytes = from.etcdMaxResponseBytes;
      startupTimeout = from.startupTimeout;
      cacheCheckInterval = from.cacheCheckInterval;
      casAttempts = from.casAttempts;
      heartbeatInterval = from.heartbeatInterval;
      suspectTimeout = from.suspectTimeout;
      downTimeout = from.downTimeout;
      heartbeatShedAfter = from.heartbeatShedAfter;
      virtualNodesPerPhysical = from.virtualNodesPerPhysical;
      replicationFactor = from.replicationFactor;
      watch = from.watch;
      sessionTtl = from.sessionTtl;
      detector = from.detector;
      embeddedEtcdDir = from.embeddedEtcdDir;
      embeddedEtcdPort = from.embeddedEtcdPort;
      limits = from.limits;
      tls = from.tls;
      etcdAccess = from.etcdAccess;
    }

    public Builder listenHost(String listenHost) {
      this.listenHost = listenHost;
      return this;
    }

    public Builder listenPort(int listenPort) {
      this.listenPort = listenPort;
      return this;
    }

    public Builder advertiseAddress(String advertiseAddress) {
      this.advertiseAddress = advertiseAddress;
      return this;
    }

    public Builder httpHost(String httpHost) {
      this.httpHost = httpHost;
      return this;
    }

    public Builder httpPort(int httpPort) {
      this.httpPort = httpPort;
      return this;
    }

    public Builder replicaId(String replicaId) {
      this.replicaId = replicaId;
      return this;
    }

    public Builder etcdEndpoints(List<String> etcdEndpoints) {
      this.etcdEndpoints = etcdEndpoints;
      return this;
    }

    public Builder etcdRoot(String etcdRoot) {
      this.etcdRoot = etcdRoot;
      return this;
    }

    public Builder cluster(String cluster) {
      this.cluster = cluster;
      return this;
    }

    public Builder etcdTimeout(Duration etcdTimeout) {
      this.etcdTimeout = etcdTimeout;
      return this;
    }

    public Builder startupTimeout(Duration startupTimeout) {
      this.startupTimeout = startupTimeout;
      return this;
    }

    public Builder cacheCheckInterval(Duration cacheCheckInterval) {
      this.cacheCheckInterval = cacheCheckInterval;
      return this;
    }

    public Builder etcdMaxResponseBytes(int etcdMaxResponseBytes) {
      this.etcdMaxResponseBytes = etcdMaxResponseBytes;
      return this;
    }

    public Builder casAttempts(int casAttempts) {
      this.casAttempts = casAttempts;
      return this;
    }

    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    public Builder suspectTimeout(Duration suspectTimeout) {
      this.suspectTimeout = suspectTimeout;
      return this;
    }

    public Builder heartbeatShedAfter(Duration heartbeatShedAfter) {
      this.heartbeatShedAfter = heartbeatShedAfter;
      return this;
    }

    public Builder downTimeout(Duration downTimeout) {
      this.downTimeout = downTimeout;
      return this;
    }

    public Builder virtualNodesPerPhysical(int virtualNodesPerPhysical) {
      this.virtualNodesPerPhysical = virtualNodesPerPhysical;
      return this;
    }

    public Builder replicationFactor(int replicationFactor) {
      this.replicationFactor = replicationFactor;
      return this;
    }

    public Builder watch(WatchSettings watch) {
      this.watch = watch;
      return this;
    }

    public Builder sessionTtl(Duration sessionTtl) {
      this.sessionTtl = sessionTtl;
      return this;
    }

    public Builder detector(DetectorSettings detector) {
      this.detector = detector;
      return this;
    }

    public Builder embeddedEtcdDir(Path embeddedEtcdDir) {
      this.embeddedEtcdDir = embeddedEtcdDir;
      return this;
    }

    public Builder embeddedEtcdPort(int embeddedEtcdPort) {
      this.embeddedEtcdPort = embeddedEtcdPort;
      return this;
    }

    public Builder limits(LimitSettings limits) {
      this.limits = limits;
      return this;
    }

    public Builder tls(TlsSettings tls) {
      this.tls = tls;
      return this;
    }

    public Builder etcdAccess(EtcdAccess etcdAccess) {
      this.etcdAccess = etcdAccess;
      return this;
    }

    public FacadeConfig build() {
      return new FacadeConfig(
          listenHost, listenPort, advertiseAddress, httpHost, httpPort, replicaId, etcdEndpoints,
          etcdRoot, cluster, etcdTimeout, etcdMaxResponseBytes, startupTimeout,
          cacheCheckInterval, casAttempts,
          heartbeatInterval, suspectTimeout, downTimeout, heartbeatShedAfter,
          virtualNodesPerPhysical,
          replicationFactor, watch, sessionTtl, detector, embeddedEtcdDir, embeddedEtcdPort,
          limits, tls, etcdAccess);
    }
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
