package io.gitstratum.coordinator.facade.security;

import io.gitstratum.coordinator.facade.tls.PemFiles;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** TLS clients of a facade for tests: gRPC channels and a handshake probe; closes its channels. */
final class TlsClients implements AutoCloseable {
  /** What one handshake showed. */
  record Handshake(X509Certificate serverCertificate, String protocol) {}

  private final Path ca;
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  TlsClients(Path ca) {
    this.ca = ca;
  }

  /** A channel to 127.0.0.1:port presenting {@code client} (null: no client certificate). */
  ManagedChannel channel(int port, TestPki.Issued client, String... protocols) {
    try {
      SslContextBuilder ssl = GrpcSslContexts.forClient()
          .trustManager(ca.toFile());
      if (client != null) {
        ssl.keyManager(client.certificate().toFile(), client.key().toFile());
      }
      if (protocols.length > 0) {
        ssl.protocols(protocols);
      }
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
          .sslContext(ssl.build()).build();
      channels.add(channel);
      return channel;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One TLS handshake with the server, outside gRPC: which certificate and version it used. */
  Handshake handshake(int port, TestPki.Issued client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", PemFiles.certificates(ca).get(0));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      KeyManager[] keys = null;
      if (client != null) {
        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry("client", PemFiles.privateKey(client.key()), new char[0],
            new X509Certificate[] {client.x509()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(own, new char[0]);
        keys = kmf.getKeyManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, tmf.getTrustManagers(), null);
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory()
          .createSocket("127.0.0.1", port)) {
        SSLParameters params = socket.getSSLParameters();
        params.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(params);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return new Handshake((X509Certificate) socket.getSession().getPeerCertificates()[0],
            socket.getSession().getProtocol());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
