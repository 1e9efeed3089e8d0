package io.gitstratum.coordinator.facade.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import picocli.CommandLine.Option;

/**
 * Where this replica listens and how others name and reach it.
 *
 * @param host host to bind the gRPC port on
 * @param port gRPC port; 0 picks a free one (tests)
 * @param advertiseAddress host:port other replicas and clients reach this replica at
 * @param httpHost host of the operations port (metrics, health, status page)
 * @param httpPort operations port; 0 picks a free one (tests)
 * @param replicaId this replica's name in the election and under {@code P/facades/}
 */
public record ListenSettings(String host, int port, String advertiseAddress, String httpHost,
    int httpPort, String replicaId) {
  public ListenSettings {
    require(port, "--listen");
    require(httpPort, "--http-listen");
  }

  private static void require(int port, String flag) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + " port must be 0-65535");
    }
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--listen", defaultValue = "0.0.0.0:9000",
        description = "host:port for gRPC (default ${DEFAULT-VALUE})")
    String listen;

    @Option(names = "--http-listen", defaultValue = "0.0.0.0:9090",
        description = "host:port for /metrics, /healthz, /readyz and the /status page "
            + "(default ${DEFAULT-VALUE})")
    String httpListen;

    @Option(names = "--advertise",
        description = "host:port clients reach this replica at (default <hostname>:<listen port>)")
    String advertise;

    @Option(names = "--replica-id",
        description = "replica name (default the advertise address)")
    String replicaId;

    public ListenSettings toSettings() {
      int port = port("--listen", listen);
      String advertised = advertise != null && !advertise.isBlank() ? advertise
          : hostName() + ":" + port;
      String id = replicaId != null && !replicaId.isBlank() ? replicaId : advertised;
      return new ListenSettings(host("--listen", listen), port, advertised,
          host("--http-listen", httpListen), port("--http-listen", httpListen), id);
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

    private static String hostName() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        return "localhost";
      }
    }
  }
}
