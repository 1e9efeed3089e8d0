package io.gitstratum.coordinator.facade.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CRL;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files operators hand the facade: certificate chains, PKCS#8 private keys
 * ({@code -----BEGIN PRIVATE KEY-----}, what {@code openssl genpkey} and OpenSSL 3's
 * {@code req -newkey} write) and certificate revocation lists. Every failure is an
 * {@link IllegalArgumentException} naming the file; contents are never logged or echoed.
 * Stateless.
 */
public final class PemFiles {
  private static final Pattern KEY = Pattern.compile(
      "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
  private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448",
      "RSASSA-PSS");

  private PemFiles() {}

  /** The certificates in {@code file}, in file order (a chain starts with its leaf). */
  public static List<X509Certificate> certificates(Path file) {
    byte[] pem = read(file);
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(file + " holds no PEM certificate");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " is not a PEM certificate file: "
          + e.getMessage(), e);
    }
  }

  /** The PKCS#8 private key in {@code file}. */
  public static PrivateKey privateKey(Path file) {
    String pem = new String(read(file), StandardCharsets.US_ASCII);
    Matcher m = KEY.matcher(pem);
    if (!m.find()) {
      String hint = pem.contains("-----BEGIN RSA PRIVATE KEY-----")
          || pem.contains("-----BEGIN EC PRIVATE KEY-----")
          ? " (this is a traditional OpenSSL key; convert it with "
              + "`openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key`)"
          : pem.contains("ENCRYPTED PRIVATE KEY") ? " (encrypted keys are not supported)" : "";
      throw new IllegalArgumentException(file + " holds no unencrypted PKCS#8 private key"
          + hint);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": the private key is not valid base64", e);
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // not this algorithm; try the next
      }
    }
    throw new IllegalArgumentException(file + ": unsupported private key (RSA, EC, Ed25519, "
        + "Ed448 are supported)");
  }

  /** The certificate revocation lists in {@code file}. */
  public static List<X509CRL> crls(Path file) {
    byte[] pem = read(file);
    try {
      List<X509CRL> out = new ArrayList<>();
      for (CRL crl : CertificateFactory.getInstance("X.509")
          .generateCRLs(new ByteArrayInputStream(pem))) {
        out.add((X509CRL) crl);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(file + " holds no PEM CRL");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " is not a PEM CRL file: " + e.getMessage(), e);
    }
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
  }
}
