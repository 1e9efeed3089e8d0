package io.gitstratum.coordinator.facade.etcd;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Says why etcd does not answer, for people: jetcd retries a refused connection until the call's
 * deadline, so every failure looks like a timeout. One TCP connect per endpoint tells a refused
 * port (nothing listens: etcd not started, wrong port) from a host that does not answer (a
 * firewall, a dead machine) and from a name that does not resolve. Blocking, at most
 * {@code timeout} per endpoint; only for start-up diagnostics.
 */
public final class EtcdReachability {
  private EtcdReachability() {}

  /** One phrase per endpoint, e.g. {@code 127.0.0.1:2379 refused the connection}. */
  public static String describe(List<String> endpoints, Duration timeout) {
    return endpoints.stream().map(e -> probe(e, timeout)).collect(Collectors.joining("; "));
  }

  static String probe(String endpoint, Duration timeout) {
    URI uri = URI.create(endpoint.contains("://") ? endpoint : "http://" + endpoint);
    String hostPort = uri.getHost() + ":" + uri.getPort();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()),
          (int) timeout.toMillis());
      return hostPort + " accepts connections but etcd does not answer (a member without "
          + "quorum, TLS or auth settings that do not match, or not etcd)";
    } catch (UnknownHostException e) {
      return hostPort + ": unknown host";
    } catch (ConnectException e) {
      return hostPort + " refused the connection (is etcd running there?)";
    } catch (SocketTimeoutException e) {
      return hostPort + " did not answer within " + timeout.toMillis() + " ms";
    } catch (IOException e) {
      return hostPort + ": " + e.getMessage();
    }
  }
}
