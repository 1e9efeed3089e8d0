package io.gitstratum.coordinator.facade.config;

import io.gitstratum.coordinator.facade.detect.DetectorSettings;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.store.EtcdAccess;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The facade's command line. Every option also reads an environment variable ({@code GS_...});
 * a flag wins over the variable, the variable over the default.
 */
@Command(name = "coordinator-facade", mixinStandardHelpOptions = true,
    description = "gitstratum coordinator: a stateless gRPC facade over etcd.",
    version = "gitstratum-coordinator 0.1.0")
public final class FacadeCommand {
  @Option(names = "--listen", defaultValue = "${env:GS_LISTEN:-0.0.0.0:9000}",
      description = "host:port for gRPC (env GS_LISTEN, default ${DEFAULT-VALUE})")
  String listen;

  @Option(names = "--http-listen", defaultValue = "${env:GS_HTTP_LISTEN:-0.0.0.0:9090}",
      description = "host:port for /metrics, /healthz, /readyz and the /status page "
          + "(env GS_HTTP_LISTEN, default ${DEFAULT-VALUE})")
  String httpListen;

  @Option(names = "--advertise", defaultValue = "${env:GS_ADVERTISE}",
      description = "host:port clients reach this replica at (env GS_ADVERTISE, "
          + "default <hostname>:<listen port>)")
  String advertise;

  @Option(names = "--replica-id", defaultValue = "${env:GS_REPLICA_ID}",
      description = "replica name (env GS_REPLICA_ID, default the advertise address)")
  String replicaId;

  @Option(names = "--etcd-endpoints", split = ",",
      defaultValue = "${env:GS_ETCD_ENDPOINTS:-http://127.0.0.1:2379}",
      description = "comma-separated etcd URLs; host:port alone means http, or https with "
          + "--etcd-ca (env GS_ETCD_ENDPOINTS, default ${DEFAULT-VALUE})")
  List<String> etcdEndpoints;

  @Option(names = "--etcd-root", defaultValue = "${env:GS_ETCD_ROOT:-/gitstratum}",
      description = "key root (env GS_ETCD_ROOT, default ${DEFAULT-VALUE})")
  String etcdRoot;

  @Option(names = "--cluster", defaultValue = "${env:GS_CLUSTER:-default}",
      description = "cluster name; keys live under <root>/<cluster>/ (env GS_CLUSTER, "
          + "default ${DEFAULT-VALUE})")
  String cluster;

  @Option(names = "--etcd-timeout", converter = DurationConverter.class,
      defaultValue = "${env:GS_ETCD_TIMEOUT:-3s}",
      description = "deadline of each etcd call (env GS_ETCD_TIMEOUT, default ${DEFAULT-VALUE})")
  Duration etcdTimeout;

  @Option(names = "--etcd-max-response-bytes",
      defaultValue = "${env:GS_ETCD_MAX_RESPONSE_BYTES:-16777216}",
      description = "largest etcd response accepted; large reads come in pages of a quarter "
          + "of it (env GS_ETCD_MAX_RESPONSE_BYTES, default ${DEFAULT-VALUE})")
  int etcdMaxResponseBytes;

  @Option(names = "--startup-timeout", converter = DurationConverter.class,
      defaultValue = "${env:GS_STARTUP_TIMEOUT:-60s}",
      description = "how long start-up waits for etcd (env GS_STARTUP_TIMEOUT, "
          + "default ${DEFAULT-VALUE})")
  Duration startupTimeout;

  @Option(names = "--cache-check-interval", converter = DurationConverter.class,
      defaultValue = "${env:GS_CACHE_CHECK_INTERVAL:-2s}",
      description = "how often the cache is compared with etcd (env GS_CACHE_CHECK_INTERVAL, "
          + "default ${DEFAULT-VALUE})")
  Duration cacheCheckInterval;

  @Option(names = "--cas-attempts", defaultValue = "${env:GS_CAS_ATTEMPTS:-16}",
      description = "attempts per write under contention (env GS_CAS_ATTEMPTS, "
          + "default ${DEFAULT-VALUE})")
  int casAttempts;

  @Option(names = "--heartbeat-interval", converter = DurationConverter.class,
      defaultValue = "${env:GS_HEARTBEAT_INTERVAL:-10s}",
      description = "interval advised to nodes (env GS_HEARTBEAT_INTERVAL, default ${DEFAULT-VALUE})")
  Duration heartbeatInterval;

  @Option(names = "--heartbeat-shed-after", converter = DurationConverter.class,
      defaultValue = "${env:GS_HEARTBEAT_SHED_AFTER:-50ms}",
      description = "refuse heartbeats at once (UNAVAILABLE with a retry delay) while lease "
          + "renewals keep waiting this long for etcd; 0s never refuses (env "
          + "GS_HEARTBEAT_SHED_AFTER, default ${DEFAULT-VALUE})")
  Duration heartbeatShedAfter;

  @Option(names = "--suspect-timeout", converter = DurationConverter.class,
      defaultValue = "${env:GS_SUSPECT_TIMEOUT:-30s}",
      description = "silence before SUSPECT, whole seconds (env GS_SUSPECT_TIMEOUT, "
          + "default ${DEFAULT-VALUE})")
  Duration suspectTimeout;

  @Option(names = "--down-timeout", converter = DurationConverter.class,
      defaultValue = "${env:GS_DOWN_TIMEOUT:-60s}",
      description = "silence before DOWN, whole seconds (env GS_DOWN_TIMEOUT, "
          + "default ${DEFAULT-VALUE})")
  Duration downTimeout;

  @Option(names = "--virtual-nodes", defaultValue = "${env:GS_VIRTUAL_NODES:-16}",
      description = "ring points per object node, for a new cluster (env GS_VIRTUAL_NODES, "
          + "default ${DEFAULT-VALUE})")
  int virtualNodes;

  @Option(names = "--replication-factor", defaultValue = "${env:GS_REPLICATION_FACTOR:-3}",
      description = "replicas per key, for a new cluster (env GS_REPLICATION_FACTOR, "
          + "default ${DEFAULT-VALUE})")
  int replicationFactor;

  @Option(names = "--watch-keepalive", converter = DurationConverter.class,
      defaultValue = "${env:GS_WATCH_KEEPALIVE:-10s}",
      description = "keepalive on idle watch streams (env GS_WATCH_KEEPALIVE, "
          + "default ${DEFAULT-VALUE})")
  Duration watchKeepalive;

  @Option(names = "--watch-queue", defaultValue = "${env:GS_WATCH_QUEUE:-1024}",
      description = "updates queued per watch stream before it is lagged (env GS_WATCH_QUEUE, "
          + "default ${DEFAULT-VALUE})")
  int watchQueue;

  @Option(names = "--watch-buffer", defaultValue = "${env:GS_WATCH_BUFFER:-10000}",
      description = "recent updates kept in memory for resuming watchers (env GS_WATCH_BUFFER, "
          + "default ${DEFAULT-VALUE})")
  int watchBuffer;

  @Option(names = "--max-watchers", defaultValue = "${env:GS_MAX_WATCHERS:-20000}",
      description = "watch streams per replica (env GS_MAX_WATCHERS, default ${DEFAULT-VALUE})")
  int maxWatchers;

  @Option(names = "--session-ttl", converter = DurationConverter.class,
      defaultValue = "${env:GS_SESSION_TTL:-10s}",
      description = "replica session lease; detector failover takes about this long "
          + "(env GS_SESSION_TTL, default ${DEFAULT-VALUE})")
  Duration sessionTtl;

  @Option(names = "--mass-expiry-share", defaultValue = "${env:GS_MASS_EXPIRY_SHARE:-0.55}",
      description = "SUSPECT->DOWN pauses while more than this share of live nodes is SUSPECT "
          + "(env GS_MASS_EXPIRY_SHARE, default ${DEFAULT-VALUE})")
  double massExpiryShare;

  @Option(names = "--down-rate", defaultValue = "${env:GS_DOWN_RATE:-20}",
      description = "most SUSPECT->DOWN transitions per second (env GS_DOWN_RATE, "
          + "default ${DEFAULT-VALUE})")
  int downRate;

  @Option(names = "--event-retention", defaultValue = "${env:GS_EVENT_RETENTION:-10000}",
      description = "change events kept in etcd for resuming watchers (env GS_EVENT_RETENTION, "
          + "default ${DEFAULT-VALUE})")
  int eventRetention;

  @Option(names = "--embedded-etcd", defaultValue = "${env:GS_EMBEDDED_ETCD:-false}",
      description = "start a local etcd process and use it (env GS_EMBEDDED_ETCD, "
          + "default ${DEFAULT-VALUE}); for trying the facade out")
  boolean embeddedEtcd;

  @Option(names = "--embedded-etcd-dir", defaultValue = "${env:GS_EMBEDDED_ETCD_DIR:-.local/etcd}",
      description = "data dir of the embedded etcd (env GS_EMBEDDED_ETCD_DIR, "
          + "default ${DEFAULT-VALUE})")
  Path embeddedEtcdDir;

  @Option(names = "--embedded-etcd-port", defaultValue = "${env:GS_EMBEDDED_ETCD_PORT:-2379}",
      description = "client port of the embedded etcd (env GS_EMBEDDED_ETCD_PORT, "
          + "default ${DEFAULT-VALUE})")
  int embeddedEtcdPort;

  @Option(names = "--rate-registrations",
      defaultValue = "${env:GS_RATE_REGISTRATIONS:-50}",
      description = "RegisterNode + DeregisterNode per second per client; 0: no limit "
          + "(env GS_RATE_REGISTRATIONS, default ${DEFAULT-VALUE})")
  int rateRegistrations;

  @Option(names = "--rate-heartbeats", defaultValue = "${env:GS_RATE_HEARTBEATS:-200}",
      description = "Heartbeats per second per client; 0: no limit "
          + "(env GS_RATE_HEARTBEATS, default ${DEFAULT-VALUE})")
  int rateHeartbeats;

  @Option(names = "--rate-reads", defaultValue = "${env:GS_RATE_READS:-1000}",
      description = "reads (GetTopology, GetHashRing, GetLeader, HealthCheck, WatchTopology "
          + "openings) per second per client; 0: no limit (env GS_RATE_READS, "
          + "default ${DEFAULT-VALUE})")
  int rateReads;

  @Option(names = "--replica-rate-registrations",
      defaultValue = "${env:GS_REPLICA_RATE_REGISTRATIONS:-1000}",
      description = "registrations per second for all clients of a replica; 0: no limit "
          + "(env GS_REPLICA_RATE_REGISTRATIONS, default ${DEFAULT-VALUE})")
  int replicaRateRegistrations;

  @Option(names = "--replica-rate-heartbeats",
      defaultValue = "${env:GS_REPLICA_RATE_HEARTBEATS:-10000}",
      description = "heartbeats per second for all clients of a replica; 0: no limit "
          + "(env GS_REPLICA_RATE_HEARTBEATS, default ${DEFAULT-VALUE})")
  int replicaRateHeartbeats;

  @Option(names = "--replica-rate-reads", defaultValue = "${env:GS_REPLICA_RATE_READS:-50000}",
      description = "reads per second for all clients of a replica; 0: no limit "
          + "(env GS_REPLICA_RATE_READS, default ${DEFAULT-VALUE})")
  int replicaRateReads;

  @Option(names = "--max-watch-streams-per-client",
      defaultValue = "${env:GS_MAX_WATCH_STREAMS_PER_CLIENT:-100}",
      description = "open WatchTopology streams per client; 0: no limit "
          + "(env GS_MAX_WATCH_STREAMS_PER_CLIENT, default ${DEFAULT-VALUE})")
  int maxWatchStreamsPerClient;

  @Option(names = "--limit-tracked-clients",
      defaultValue = "${env:GS_LIMIT_TRACKED_CLIENTS:-20000}",
      description = "most per-client rate trackers (one per client and category, ~550 bytes "
          + "each) held at once; least recently used are forgotten "
          + "(env GS_LIMIT_TRACKED_CLIENTS, default ${DEFAULT-VALUE})")
  int limitTrackedClients;

  @Option(names = "--max-request-bytes", defaultValue = "${env:GS_MAX_REQUEST_BYTES:-1048576}",
      description = "largest request message accepted (env GS_MAX_REQUEST_BYTES, "
          + "default ${DEFAULT-VALUE})")
  int maxRequestBytes;

  @Option(names = "--tls-cert", defaultValue = "${env:GS_TLS_CERT}",
      description = "PEM certificate chain for the gRPC port; unset: plaintext "
          + "(env GS_TLS_CERT)")
  Path tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:GS_TLS_KEY}",
      description = "PEM (PKCS#8) private key of --tls-cert (env GS_TLS_KEY)")
  Path tlsKey;

  @Option(names = "--tls-client-ca", defaultValue = "${env:GS_TLS_CLIENT_CA}",
      description = "PEM CA bundle; when set, clients must present a certificate it signed "
          + "(mutual TLS) and node-bound authorization applies (env GS_TLS_CLIENT_CA)")
  Path tlsClientCa;

  @Option(names = "--tls-crl", defaultValue = "${env:GS_TLS_CRL}",
      description = "PEM certificate revocation list(s) for client certificates "
          + "(env GS_TLS_CRL)")
  Path tlsCrl;

  @Option(names = "--tls-protocols", split = ",",
      defaultValue = "${env:GS_TLS_PROTOCOLS:-TLSv1.3}",
      description = "TLS versions of the gRPC port: TLSv1.3 and/or TLSv1.2 "
          + "(env GS_TLS_PROTOCOLS, default ${DEFAULT-VALUE})")
  List<String> tlsProtocols;

  @Option(names = "--tls-reload-interval", converter = DurationConverter.class,
      defaultValue = "${env:GS_TLS_RELOAD_INTERVAL:-10s}",
      description = "how often certificate, key, CA and CRL files are checked for changes "
          + "(env GS_TLS_RELOAD_INTERVAL, default ${DEFAULT-VALUE})")
  Duration tlsReloadInterval;

  @Option(names = "--operators", split = ",", defaultValue = "${env:GS_OPERATORS:-}",
      description = "client certificate identities that may register, heartbeat and "
          + "deregister any node (env GS_OPERATORS, comma-separated, default none)")
  List<String> operators;

  @Option(names = "--etcd-ca", defaultValue = "${env:GS_ETCD_CA}",
      description = "PEM CA bundle that signs etcd's server certificates; with https:// "
          + "endpoints (env GS_ETCD_CA, default the JVM's trust store)")
  Path etcdCa;

  @Option(names = "--etcd-cert", defaultValue = "${env:GS_ETCD_CERT}",
      description = "PEM client certificate for etcd (client-certificate auth) (env GS_ETCD_CERT)")
  Path etcdCert;

  @Option(names = "--etcd-key", defaultValue = "${env:GS_ETCD_KEY}",
      description = "PEM (PKCS#8) private key of --etcd-cert (env GS_ETCD_KEY)")
  Path etcdKey;

  @Option(names = "--etcd-user", defaultValue = "${env:GS_ETCD_USER}",
      description = "etcd user for password authentication (env GS_ETCD_USER)")
  String etcdUser;

  @Option(names = "--etcd-password-file", defaultValue = "${env:GS_ETCD_PASSWORD_FILE}",
      description = "file holding --etcd-user's password (env GS_ETCD_PASSWORD_FILE)")
  Path etcdPasswordFile;

  /**
   * Endpoints as etcdctl takes them: {@code host:port} alone means http, or https when a CA for
   * etcd is given.
   */
  private List<String> withScheme(List<String> given) {
    String scheme = etcdCa != null ? "https://" : "http://";
    return given.stream().map(String::trim)
        .map(e -> e.contains("://") ? e : scheme + e)
        .toList();
  }

  /** @throws IllegalArgumentException with a message naming the flag when a value is invalid */
  public FacadeConfig toConfig() {
    String host = host("--listen", listen);
    int port = port("--listen", listen);
    String advertised = advertise != null && !advertise.isBlank() ? advertise
        : hostName() + ":" + port;
    String id = replicaId != null && !replicaId.isBlank() ? replicaId : advertised;
    List<String> endpoints = embeddedEtcd
        ? List.of("http://127.0.0.1:" + embeddedEtcdPort) : withScheme(etcdEndpoints);
    return new FacadeConfig(host, port, advertised, host("--http-listen", httpListen),
        port("--http-listen", httpListen), id, endpoints, etcdRoot, cluster, etcdTimeout,
        etcdMaxResponseBytes, startupTimeout, cacheCheckInterval, casAttempts, heartbeatInterval, suspectTimeout,
        downTimeout, heartbeatShedAfter, virtualNodes, replicationFactor,
        new WatchSettings(watchKeepalive, watchQueue, watchBuffer, maxWatchers, 10_000),
        sessionTtl, detector(),
        embeddedEtcd ? embeddedEtcdDir : null,
        embeddedEtcdPort,
        new LimitSettings(rateRegistrations, rateHeartbeats, rateReads, replicaRateRegistrations,
            replicaRateHeartbeats, replicaRateReads, maxWatchStreamsPerClient,
            limitTrackedClients, maxRequestBytes),
        new TlsSettings(tlsCert, tlsKey, tlsClientCa, tlsCrl, tlsProtocols, tlsReloadInterval,
            operators.stream().map(String::trim).filter(o -> !o.isEmpty())
                .collect(Collectors.toSet())),
        embeddedEtcd ? EtcdAccess.none()
            : new EtcdAccess(etcdCa, etcdCert, etcdKey, etcdUser, etcdPasswordFile));
  }

  private static String host(String flag, String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(flag + " must be host:port, got " + hostPort);
    }
    return hostPort.substring(0, colon);
  }

  private static int port(String flag, String hostPort) {
    try {
      return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be host:port, got " + hostPort);
    }
  }

  private DetectorSettings detector() {
    DetectorSettings d = DetectorSettings.defaults();
    return new DetectorSettings(d.scanInterval(), massExpiryShare, d.massExpiryMinSuspects(),
        downRate, d.flapSuspicions(), d.flapWindow(), eventRetention);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
