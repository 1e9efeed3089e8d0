package io.gitstratum.coordinator.client.failover;

import java.util.Objects;

/**
 * One facade replica's gRPC address. Immutable.
 *
 * @param host a host name or IP literal (IPv6 without brackets)
 * @param port 1-65535
 */
public record Endpoint(String host, int port) {

  /** The port a spec without one gets: the facade's default listen port. */
  public static final int DEFAULT_PORT = 9000;

  /**
   * @throws IllegalArgumentException on an empty host or a port outside 1-65535
   */
  public Endpoint {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1-65535, got " + port + " for " + host);
    }
  }

  /**
   * Parses {@code host}, {@code host:port}, {@code ipv4:port} or {@code [ipv6]:port}; the port
   * defaults to {@link #DEFAULT_PORT}.
   *
   * @throws IllegalArgumentException when the text is not such an address
   */
  public static Endpoint parse(String text) {
    String spec = Objects.requireNonNull(text, "text").trim();
    if (spec.isEmpty()) {
      throw new IllegalArgumentException("empty endpoint");
    }
    String host;
    String port = null;
    if (spec.startsWith("[")) {
      int close = spec.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("unclosed '[' in endpoint '" + text + "'");
      }
      host = spec.substring(1, close);
      String rest = spec.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new IllegalArgumentException("expected ':port' after ']' in '" + text + "'");
        }
        port = rest.substring(1);
      }
    } else {
      int colon = spec.lastIndexOf(':');
      if (colon >= 0 && spec.indexOf(':') != colon) {
        // Several colons without brackets: a bare IPv6 literal, no port.
        host = spec;
      } else if (colon >= 0) {
        host = spec.substring(0, colon);
        port = spec.substring(colon + 1);
      } else {
        host = spec;
      }
    }
    int portNumber = DEFAULT_PORT;
    if (port != null) {
      try {
        portNumber = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad port '" + port + "' in endpoint '" + text + "'");
      }
    }
    return new Endpoint(host, portNumber);
  }

  /** {@code host:port}, with brackets around an IPv6 literal. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
