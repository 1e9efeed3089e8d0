package io.gitstratum.coordinator.facade.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Opens the facade's connections to etcd as {@link EtcdAccess} says: the jetcd client (KV,
 * watch, leases, election) and plain gRPC channels for the shared lease keep-alive stream, both
 * over TLS for {@code https://} endpoints and both authenticated, with a client certificate or
 * with a user whose password is read from a file once, at start-up. Stateless after
 * construction; callers own (and close) what it opens.
 */
public final class EtcdConnector {
  private final List<String> endpoints;
  private final EtcdAccess access;
  private final Duration timeout;
  private final SslContext tls;
  private final String password;
  private final int maxResponseBytes;

  /** @throws IllegalArgumentException when a TLS or password file cannot be used */
  public EtcdConnector(List<String> endpoints, EtcdAccess access, Duration timeout) {
    this(endpoints, access, timeout, 16 << 20);
  }

  /**
   * @param maxResponseBytes largest response accepted from etcd (gRPC's default is 4 MiB, which
   *     a watch response carrying a large group commit can pass)
   * @throws IllegalArgumentException when a TLS or password file cannot be used
   */
  public EtcdConnector(List<String> endpoints, EtcdAccess access, Duration timeout,
      int maxResponseBytes) {
    this.maxResponseBytes = maxResponseBytes;
    this.endpoints = List.copyOf(endpoints);
    this.access = access;
    this.timeout = timeout;
    this.tls = access.tls(endpoints) ? EtcdTls.clientContext(access) : null;
    this.password = access.passwordAuth() ? readPassword(access) : null;
  }

  /** The jetcd client; the caller closes it. */
  public Client client() {
    return client(endpoints);
  }

  /**
   * One jetcd client per endpoint, for calls that must choose their member (see
   * {@code MemberRoutes}); none for a single endpoint. The caller closes them.
   */
  public List<Client> clientPerEndpoint() {
    return endpoints.size() < 2 ? List.of()
        : endpoints.stream().map(e -> client(List.of(e))).toList();
  }

  private Client client(List<String> to) {
    ClientBuilder builder = Client.builder()
        .endpoints(to.toArray(String[]::new))
        .connectTimeout(timeout)
        // jetcd retries failed calls itself; keep that inside our own per-call deadline.
        .retryMaxDuration(timeout)
        .maxInboundMessageSize(maxResponseBytes)
        .keepaliveTime(Duration.ofSeconds(10))
        .keepaliveTimeout(Duration.ofSeconds(3));
    if (tls != null) {
      builder.sslContext(tls);
    }
    if (password != null) {
      builder.user(ByteSequence.from(access.user(), StandardCharsets.UTF_8))
          .password(ByteSequence.from(password, StandardCharsets.UTF_8));
    }
    return builder.build();
  }

  /** One gRPC channel per endpoint, for streams jetcd does not offer; the caller closes them. */
  public List<ManagedChannel> channels() {
    return endpoints.stream().map(this::channel).toList();
  }

  /** The auth token holder for {@link #channels()}, when etcd wants a user and password. */
  public Optional<EtcdAuthToken> token() {
    return password == null ? Optional.empty()
        : Optional.of(new EtcdAuthToken(access.user(), password, timeout));
  }

  /** A gRPC channel to one endpoint (TLS as for the others); the caller closes it. */
  public ManagedChannel channel(String endpoint) {
    URI uri = URI.create(endpoint);
    // Answers are handled on the transport thread that read them: what listens on these streams
    // (lease renewals, status checks) only completes futures, and a hop to a pool thread per
    // renewal cost a wake-up of its own on the heartbeat path.
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort())
        .keepAliveTime(30, TimeUnit.SECONDS).directExecutor();
    if (tls != null) {
      builder.sslContext(tls);
    } else {
      builder.usePlaintext();
    }
    return builder.build();
  }

  private static String readPassword(EtcdAccess access) {
    try {
      String text = Files.readString(access.passwordFile(), StandardCharsets.UTF_8);
      // The file's final line break is not part of the password.
      String password = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
          : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
      if (password.isEmpty()) {
        throw new IllegalArgumentException(access.passwordFile() + " holds an empty password");
      }
      return password;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the etcd password file "
          + access.passwordFile() + ": " + e, e);
    }
  }
}
