package io.gitstratum.coordinator.facade.etcd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How the replica uses etcd: where it is, which prefix, how long each call may take, and the
 * optional local etcd the facade starts itself for trying it out.
 *
 * @param endpoints etcd client URLs
 * @param root key root, such as {@code /gitstratum}
 * @param cluster cluster name; the prefix is {@code <root>/<cluster>/}
 * @param timeout deadline of every etcd call
 * @param maxResponseBytes largest etcd response the facade accepts (jetcd's inbound message
 *     limit); reads whose size grows with the cluster come in pages of a quarter of it
 * @param startupTimeout how long start-up waits for etcd before giving up
 * @param cacheCheckInterval how often the cache is checked against etcd's version key
 * @param casAttempts attempts of one write under compare-and-swap contention
 * @param access TLS and authentication towards etcd
 * @param embeddedDir when set, the facade starts its own local etcd with this data dir
 * @param embeddedPort client port of the embedded etcd
 */
public record EtcdSettings(List<String> endpoints, String root, String cluster, Duration timeout,
    int maxResponseBytes, Duration startupTimeout, Duration cacheCheckInterval, int casAttempts,
    EtcdAccess access, Path embeddedDir, int embeddedPort) {
  public EtcdSettings {
    endpoints = List.copyOf(endpoints);
    require(!endpoints.isEmpty(), "--etcd-endpoints must name at least one endpoint");
    require(!timeout.isNegative() && !timeout.isZero(), "--etcd-timeout must be > 0");
    require(casAttempts >= 1, "--cas-attempts must be >= 1");
    require(maxResponseBytes >= 1 << 20, "--etcd-max-response-bytes must be at least 1 MiB");
    access.tls(endpoints); // rejects a mix of http and https endpoints
  }

  /** Other etcd endpoints, reached with other credentials. */
  public EtcdSettings withEndpoints(List<String> otherEndpoints, EtcdAccess otherAccess) {
    return new EtcdSettings(otherEndpoints, root, cluster, timeout, maxResponseBytes,
        startupTimeout, cacheCheckInterval, casAttempts, otherAccess, embeddedDir, embeddedPort);
  }

  /** Other deadlines: of each call, and of the cache's comparison with etcd. */
  public EtcdSettings withTimeouts(Duration callTimeout, Duration checkInterval) {
    return new EtcdSettings(endpoints, root, cluster, callTimeout, maxResponseBytes,
        startupTimeout, checkInterval, casAttempts, access, embeddedDir, embeddedPort);
  }

  public EtcdSettings withMaxResponseBytes(int bytes) {
    return new EtcdSettings(endpoints, root, cluster, timeout, bytes, startupTimeout,
        cacheCheckInterval, casAttempts, access, embeddedDir, embeddedPort);
  }

  /** Reads whose size grows with the cluster come in pages of this many bytes. */
  public int pageBytes() {
    // A quarter of the response limit leaves room for keys larger than the average.
    return maxResponseBytes / 4;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--etcd-endpoints", split = ",", defaultValue = "http://127.0.0.1:2379",
        description = "comma-separated etcd URLs; host:port alone means http, or https with "
            + "--etcd-ca (default ${DEFAULT-VALUE})")
    List<String> endpoints;

    @Option(names = "--etcd-root", defaultValue = "/gitstratum",
        description = "key root (default ${DEFAULT-VALUE})")
    String root;

    @Option(names = "--cluster", defaultValue = "default",
        description = "cluster name; keys live under <root>/<cluster>/ (default ${DEFAULT-VALUE})")
    String cluster;

    @Option(names = "--etcd-timeout", defaultValue = "3s",
        description = "deadline of each etcd call (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--etcd-max-response-bytes", defaultValue = "16777216",
        description = "largest etcd response accepted; large reads come in pages of a quarter "
            + "of it (default ${DEFAULT-VALUE})")
    int maxResponseBytes;

    @Option(names = "--startup-timeout", defaultValue = "60s",
        description = "how long start-up waits for etcd (default ${DEFAULT-VALUE})")
    Duration startupTimeout;

    @Option(names = "--cache-check-interval", defaultValue = "2s",
        description = "how often the cache is compared with etcd (default ${DEFAULT-VALUE})")
    Duration cacheCheckInterval;

    @Option(names = "--cas-attempts", defaultValue = "16",
        description = "attempts per write under contention (default ${DEFAULT-VALUE})")
    int casAttempts;

    @Option(names = "--etcd-ca",
        description = "PEM CA bundle that signs etcd's server certificates; with https:// "
            + "endpoints (default the JVM's trust store)")
    Path ca;

    @Option(names = "--etcd-cert",
        description = "PEM client certificate for etcd (client-certificate auth)")
    Path certificate;

    @Option(names = "--etcd-key", description = "PEM (PKCS#8) private key of --etcd-cert")
    Path key;

    @Option(names = "--etcd-user", description = "etcd user for password authentication")
    String user;

    @Option(names = "--etcd-password-file", description = "file holding --etcd-user's password")
    Path passwordFile;

    @Option(names = "--embedded-etcd", defaultValue = "false",
        description = "start a local etcd process and use it (default ${DEFAULT-VALUE}); "
            + "for trying the facade out")
    boolean embedded;

    @Option(names = "--embedded-etcd-dir", defaultValue = ".local/etcd",
        description = "data dir of the embedded etcd (default ${DEFAULT-VALUE})")
    Path embeddedDir;

    @Option(names = "--embedded-etcd-port", defaultValue = "2379",
        description = "client port of the embedded etcd (default ${DEFAULT-VALUE})")
    int embeddedPort;

    public EtcdSettings toSettings() {
      List<String> urls = embedded ? List.of("http://127.0.0.1:" + embeddedPort) : withScheme();
      EtcdAccess how = embedded ? EtcdAccess.none()
          : new EtcdAccess(ca, certificate, key, user, passwordFile);
      return new EtcdSettings(urls, root, cluster, timeout, maxResponseBytes, startupTimeout,
          cacheCheckInterval, casAttempts, how, embedded ? embeddedDir : null, embeddedPort);
    }

    /**
     * Endpoints as etcdctl takes them: {@code host:port} alone means http, or https when a CA
     * for etcd is given.
     */
    private List<String> withScheme() {
      String scheme = ca != null ? "https://" : "http://";
      return endpoints.stream().map(String::trim)
          .map(e -> e.contains("://") ? e : scheme + e)
          .toList();
    }
  }
}
