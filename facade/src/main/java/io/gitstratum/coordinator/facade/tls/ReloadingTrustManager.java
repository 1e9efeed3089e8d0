package io.gitstratum.coordinator.facade.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies client certificates against the configured CA bundle (the JDK's PKIX validation:
 * chain, validity dates, key usage) and then against the configured CRLs, both swappable while
 * the server runs. A {@link #reload} applies to the next handshake; {@link #isRevoked} lets the
 * server refuse calls on connections opened before a certificate was revoked. Each CRL must be
 * signed by one of the CAs, or the file is refused. Thread-safe.
 */
final class ReloadingTrustManager extends X509ExtendedTrustManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingTrustManager.class);

  private record Material(X509ExtendedTrustManager pkix, X509Certificate[] issuers,
      List<X509CRL> crls) {}

  private final Clock clock;
  private volatile Material current;

  /** @throws IllegalArgumentException when the files cannot be used */
  ReloadingTrustManager(Path ca, Path crl, Clock clock) {
    this.clock = clock;
    this.current = load(ca, crl);
  }

  /**
   * Loads the files again and uses them from now on.
   *
   * @throws IllegalArgumentException when they cannot be used; the current ones stay in use
   */
  void reload(Path ca, Path crl) {
    current = load(ca, crl);
  }

  /** Whether {@code certificate} is on a current CRL of its issuer. */
  boolean isRevoked(X509Certificate certificate) {
    for (X509CRL crl : current.crls()) {
      if (crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal())
          && crl.isRevoked(certificate)) {
        return true;
      }
    }
    return false;
  }

  private Material load(Path ca, Path crlFile) {
    List<X509Certificate> cas = PemFiles.certificates(ca);
    List<X509CRL> crls = crlFile == null ? List.of() : PemFiles.crls(crlFile);
    for (X509CRL crl : crls) {
      requireSignedByOneOf(crl, cas, crlFile);
      if (crl.getNextUpdate() != null
          && crl.getNextUpdate().toInstant().isBefore(clock.instant())) {
        log.warn("the CRL of {} in {} was due for renewal at {}; still using it",
            crl.getIssuerX500Principal().getName(), crlFile, crl.getNextUpdate().toInstant());
      }
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager pkix) {
          return new Material(pkix, cas.toArray(X509Certificate[]::new), List.copyOf(crls));
        }
      }
      throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException("cannot use the CAs in " + ca + ": " + e.getMessage(), e);
    }
  }

  private static void requireSignedByOneOf(X509CRL crl, List<X509Certificate> cas, Path file) {
    for (X509Certificate ca : cas) {
      if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
        try {
          crl.verify(ca.getPublicKey());
          return;
        } catch (GeneralSecurityException e) {
          // another CA with the same name may have signed it
        }
      }
    }
    throw new IllegalArgumentException("a CRL in " + file + " (issuer "
        + crl.getIssuerX500Principal().getName() + ") is not signed by any CA in the client CA "
        + "bundle");
  }

  private void requireNotRevoked(X509Certificate[] chain) throws CertificateException {
    for (X509Certificate certificate : chain) {
      if (isRevoked(certificate)) {
        throw new CertificateException("certificate " + certificate.getSubjectX500Principal()
            .getName() + " (serial " + certificate.getSerialNumber().toString(16)
            + ") has been revoked");
      }
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current.pkix().checkClientTrusted(chain, authType, engine);
    requireNotRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current.pkix().checkClientTrusted(chain, authType, socket);
    requireNotRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current.pkix().checkClientTrusted(chain, authType);
    requireNotRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current.pkix().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current.pkix().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current.pkix().checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return current.issuers().clone();
  }
}
