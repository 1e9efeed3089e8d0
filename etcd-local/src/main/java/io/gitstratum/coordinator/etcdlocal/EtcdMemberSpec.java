package io.gitstratum.coordinator.etcdlocal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything needed to run one etcd member on 127.0.0.1: immutable, so a member restarts with
 * exactly the arguments it first started with.
 *
 * @param binary the etcd executable (see {@link EtcdBinary})
 * @param name member name ({@code --name}); also names the log file
 * @param clientPort port for client traffic, {@code /health} and {@code /metrics}
 * @param peerPort port for raft traffic between members
 * @param dataDir member data directory; etcd creates it (with the 0700 mode it insists on)
 * @param initialCluster the whole cluster's {@code --initial-cluster} value, see {@link
 *     #initialClusterEntry}
 * @param clusterToken {@code --initial-cluster-token}; unique per cluster so that members of
 *     different clusters never join each other
 * @param fastTimers use {@code --heartbeat-interval 10 --election-timeout 100} (tests: start and
 *     fail over in about 0.1 s; too aggressive for loaded production machines)
 * @param logFile where stdout and stderr of the process are appended; {@code null} means {@code
 *     <dataDir>/../<name>.log}
 * @param healthTimeout how long {@link EtcdMember#start()} waits for {@code /health}
 * @param extraArgs further etcd flags appended verbatim (for example auth or quota settings)
 */
public record EtcdMemberSpec(
    Path binary,
    String name,
    int clientPort,
    int peerPort,
    Path dataDir,
    String initialCluster,
    String clusterToken,
    boolean fastTimers,
    Path logFile,
    Duration healthTimeout,
    List<String> extraArgs) {

  /** Loopback only: these members are for local use, never reachable from other hosts. */
  public static final String HOST = "127.0.0.1";

  /** Validates and normalizes (absolute paths, default log file, immutable extra args). */
  public EtcdMemberSpec {
    Objects.requireNonNull(binary, "binary");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(initialCluster, "initialCluster");
    Objects.requireNonNull(clusterToken, "clusterToken");
    Objects.requireNonNull(healthTimeout, "healthTimeout");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("member name must be a simple file name: " + name);
    }
    checkPort(clientPort, "clientPort");
    checkPort(peerPort, "peerPort");
    if (clientPort == peerPort) {
      throw new IllegalArgumentException("client and peer port must differ: " + clientPort);
    }
    if (healthTimeout.isNegative() || healthTimeout.isZero()) {
      throw new IllegalArgumentException("healthTimeout must be positive: " + healthTimeout);
    }
    dataDir = dataDir.toAbsolutePath().normalize();
    logFile =
        logFile == null
            ? dataDir.resolveSibling(name + ".log")
            : logFile.toAbsolutePath().normalize();
    extraArgs = extraArgs == null ? List.of() : List.copyOf(extraArgs);
  }

  /** {@code http://127.0.0.1:<port>}. */
  public static String url(int port) {
    return "http://" + HOST + ":" + port;
  }

  /** One {@code name=peerUrl} entry; join entries with commas for {@code --initial-cluster}. */
  public static String initialClusterEntry(String name, int peerPort) {
    return name + "=" + url(peerPort);
  }

  /** The etcd command line for this member: the same on every (re)start. */
  public List<String> commandLine() {
    String clientUrl = url(clientPort);
    String peerUrl = url(peerPort);
    List<String> args =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", initialCluster,
                // etcd ignores the initial-cluster flags once the data dir holds a member, so
                // "new" is also right for restarts.
                "--initial-cluster-state", "new",
                "--initial-cluster-token", clusterToken));
    if (fastTimers) {
      args.addAll(List.of("--heartbeat-interval", "10", "--election-timeout", "100"));
    }
    args.addAll(extraArgs);
    return List.copyOf(args);
  }

  private static void checkPort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " out of range: " + port);
    }
  }
}
