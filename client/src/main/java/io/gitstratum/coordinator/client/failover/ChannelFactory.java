package io.gitstratum.coordinator.client.failover;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Creates the gRPC channel to one endpoint. The client owns every channel it gets and shuts it
 * down on close. Replace the default to add TLS, interceptors or the in-process transport.
 */
@FunctionalInterface
public interface ChannelFactory {

  /** Largest message accepted: a full_sync of a very large cluster fits. */
  int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

  ManagedChannel create(Endpoint endpoint);

  /** Plaintext HTTP/2, for a facade without TLS (local development). */
  static ChannelFactory plaintext() {
    return with(InsecureChannelCredentials.create());
  }

  /**
   * TLS to a facade whose certificate is signed by {@code caFile} (PEM). With {@code certFile}
   * and {@code keyFile} (PEM, PKCS#8) the client presents that certificate: needed when the
   * facade requires mutual TLS, and it is the identity the facade authorizes (docs/SECURITY.md).
   *
   * @param certFile null for server-only TLS
   * @param keyFile null for server-only TLS
   * @throws UncheckedIOException when a file cannot be read
   */
  static ChannelFactory tls(Path caFile, Path certFile, Path keyFile) {
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder()
          .trustManager(caFile.toFile());
      if (certFile != null && keyFile != null) {
        tls.keyManager(certFile.toFile(), keyFile.toFile());
      }
      return with(tls.build());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
    }
  }

  private static ChannelFactory with(ChannelCredentials credentials) {
    return endpoint -> Grpc.newChannelBuilderForAddress(endpoint.host(), endpoint.port(),
            credentials)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .build();
  }
}
