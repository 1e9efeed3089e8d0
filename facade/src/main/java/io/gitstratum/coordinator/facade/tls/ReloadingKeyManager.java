package io.gitstratum.coordinator.facade.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The server's certificate and key, swappable while the server runs: every TLS handshake asks
 * the current key manager, so a {@link #reload} takes effect on the next handshake and open
 * connections keep theirs.
 *
 * <p>An alias handed out names the generation it came from, and the previous generation is
 * kept, so a handshake that straddles a reload still gets a matching chain and key.
 * Thread-safe.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final char[] PASSWORD = new char[0]; // in-memory store only
  private static final String SEPARATOR = "|";

  private record Generation(int id, X509ExtendedKeyManager keys, X509Certificate leaf) {}

  private volatile Generation current;
  private volatile Generation previous;

  /** @throws IllegalArgumentException when the files do not hold a matching chain and key */
  ReloadingKeyManager(Path certificate, Path key) {
    this.current = load(0, certificate, key);
    this.previous = current;
  }

  /**
   * Loads the files again and uses them from the next handshake on.
   *
   * @return the new leaf certificate
   * @throws IllegalArgumentException when they do not hold a matching chain and key; the
   *     current ones stay in use
   */
  X509Certificate reload(Path certificate, Path key) {
    Generation next = load(current.id() + 1, certificate, key);
    previous = current;
    current = next;
    return next.leaf();
  }

  X509Certificate leaf() {
    return current.leaf();
  }

  private static Generation load(int id, Path certificate, Path keyFile) {
    List<X509Certificate> chain = PemFiles.certificates(certificate);
    PrivateKey key = PemFiles.privateKey(keyFile);
    requireMatch(chain.get(0), key, certificate, keyFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("server", key, PASSWORD, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance("NewSunX509");
      factory.init(store, PASSWORD);
      return new Generation(id, (X509ExtendedKeyManager) factory.getKeyManagers()[0],
          chain.get(0));
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException("cannot use " + certificate + " with " + keyFile + ": "
          + e.getMessage(), e);
    }
  }

  /** A key that does not belong to the certificate would fail every handshake: refuse it. */
  private static void requireMatch(X509Certificate leaf, PrivateKey key, Path certificate,
      Path keyFile) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
      default -> null; // RSASSA-PSS needs parameters; the handshake will tell
    };
    if (algorithm == null) {
      return;
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: a mismatch as well
    }
    throw new IllegalArgumentException("the key in " + keyFile
        + " does not belong to the first certificate in " + certificate);
  }

  private Generation generation(String alias) {
    if (alias == null) {
      return null;
    }
    int id = Integer.parseInt(alias.substring(0, alias.indexOf(SEPARATOR)));
    Generation now = current;
    if (now.id() == id) {
      return now;
    }
    Generation before = previous;
    return before.id() == id ? before : null;
  }

  private static String inner(String alias) {
    return alias.substring(alias.indexOf(SEPARATOR) + 1);
  }

  private static String tagged(Generation generation, String alias) {
    return alias == null ? null : generation.id() + SEPARATOR + alias;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    Generation g = current;
    return tagged(g, g.keys().chooseEngineServerAlias(keyType, issuers, engine));
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    Generation g = current;
    return tagged(g, g.keys().chooseServerAlias(keyType, issuers, socket));
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Generation g = generation(alias);
    return g == null ? null : g.keys().getCertificateChain(inner(alias));
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Generation g = generation(alias);
    return g == null ? null : g.keys().getPrivateKey(inner(alias));
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    Generation g = current;
    String[] aliases = g.keys().getServerAliases(keyType, issuers);
    if (aliases == null) {
      return null;
    }
    String[] out = new String[aliases.length];
    for (int i = 0; i < aliases.length; i++) {
      out[i] = tagged(g, aliases[i]);
    }
    return out;
  }

  // This key manager serves the server side only.
  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }
}
