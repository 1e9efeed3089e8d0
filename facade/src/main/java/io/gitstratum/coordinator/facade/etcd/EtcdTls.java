package io.gitstratum.coordinator.facade.etcd;

import io.gitstratum.coordinator.facade.tls.PemFiles;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import javax.net.ssl.SSLException;

/**
 * The client TLS context for etcd, shared by jetcd and the facade's own gRPC channels to etcd:
 * etcd's server certificate is checked against the configured CA (else the JVM's trust store)
 * and its host name against the endpoint, and the client certificate, if any, is presented.
 */
final class EtcdTls {
  private EtcdTls() {}

  /** @throws IllegalArgumentException naming the file that cannot be used */
  static SslContext clientContext(EtcdAccess access) {
    SslContextBuilder builder = GrpcSslContexts.forClient();
    if (access.ca() != null) {
      builder.trustManager(PemFiles.certificates(access.ca()));
    }
    if (access.certificate() != null) {
      builder.keyManager(PemFiles.privateKey(access.key()),
          PemFiles.certificates(access.certificate()));
    }
    try {
      return builder.build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot set up TLS to etcd: " + e.getMessage(), e);
    }
  }
}
