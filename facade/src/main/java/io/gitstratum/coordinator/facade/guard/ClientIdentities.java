package io.gitstratum.coordinator.facade.guard;

import io.gitstratum.coordinator.facade.errors.UnauthenticatedException;
import io.gitstratum.coordinator.facade.tls.CertificateIdentity;
import io.grpc.Attributes;
import io.grpc.Grpc;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Works out a call's {@link ClientIdentity} from its transport: the verified client certificate
 * with mutual TLS, else the peer's IP address. With mutual TLS it also refuses certificates that
 * were revoked after their connection was made (the handshake refuses those revoked before).
 * Thread-safe.
 */
public final class ClientIdentities {
  private final boolean mutualTls;
  private final Predicate<X509Certificate> revoked;

  /**
   * @param mutualTls whether the gRPC port requires client certificates
   * @param revoked whether a client certificate is on the current revocation list
   */
  public ClientIdentities(boolean mutualTls, Predicate<X509Certificate> revoked) {
    this.mutualTls = mutualTls;
    this.revoked = revoked;
  }

  /** Without mutual TLS: clients are told apart by address only. */
  public static ClientIdentities byAddress() {
    return new ClientIdentities(false, certificate -> false);
  }

  public boolean mutualTls() {
    return mutualTls;
  }

  /**
   * @throws UnauthenticatedException with mutual TLS, for a call without a client certificate or
   *     with a revoked one
   */
  public ClientIdentity resolve(Attributes transport) {
    if (!mutualTls) {
      return ClientIdentity.ofAddress(address(transport.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
    }
    X509Certificate certificate = clientCertificate(transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (revoked.test(certificate)) {
      throw UnauthenticatedException.revoked(certificate.getSubjectX500Principal().getName());
    }
    return ClientIdentity.ofCertificate(CertificateIdentity.of(certificate),
        certificate.getSubjectX500Principal().getName());
  }

  private static X509Certificate clientCertificate(SSLSession session) {
    if (session == null) {
      throw UnauthenticatedException.missing();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
        return leaf;
      }
    } catch (SSLPeerUnverifiedException e) {
      throw UnauthenticatedException.missing();
    }
    throw UnauthenticatedException.missing();
  }

  private static String address(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return String.valueOf(remote); // in-process transports in tests
  }
}
