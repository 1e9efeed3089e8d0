package io.gitstratum.coordinator.facade.etcd;

import java.nio.file.Path;
import java.util.List;

/**
 * How the facade reaches etcd (docs/SECURITY.md, etcd): TLS when the endpoints are
 * {@code https://}, and optionally a client certificate (etcd maps its CN to a user) or a user
 * with a password read from a file (never from a flag, so it stays out of process listings).
 *
 * @param ca PEM CA certificates that sign etcd's server certificates; null: the JVM's trust store
 * @param certificate PEM client certificate chain for etcd; null: none
 * @param key PEM PKCS#8 key of that certificate
 * @param user etcd user for password authentication; null: none
 * @param passwordFile file holding that user's password (one line)
 */
public record EtcdAccess(Path ca, Path certificate, Path key, String user, Path passwordFile) {
  public EtcdAccess {
    if ((certificate == null) != (key == null)) {
      throw new IllegalArgumentException("--etcd-cert and --etcd-key go together");
    }
    if ((user == null || user.isBlank()) != (passwordFile == null)) {
      throw new IllegalArgumentException("--etcd-user and --etcd-password-file go together");
    }
    if (user != null && user.isBlank()) {
      user = null;
    }
  }

  /** Plain HTTP, no authentication: a local or otherwise protected etcd. */
  public static EtcdAccess none() {
    return new EtcdAccess(null, null, null, null, null);
  }

  public boolean passwordAuth() {
    return user != null;
  }

  /**
   * Whether to speak TLS to {@code endpoints}: all {@code https://} yes, all {@code http://} no.
   *
   * @throws IllegalArgumentException for a mix, or for TLS files with plain endpoints
   */
  public boolean tls(List<String> endpoints) {
    long secure = endpoints.stream().filter(e -> e.startsWith("https://")).count();
    if (secure != 0 && secure != endpoints.size()) {
      throw new IllegalArgumentException("--etcd-endpoints mixes https:// and http:// URLs");
    }
    if (secure == 0 && (ca != null || certificate != null)) {
      throw new IllegalArgumentException("--etcd-ca/--etcd-cert need https:// etcd endpoints");
    }
    return secure != 0;
  }
}
