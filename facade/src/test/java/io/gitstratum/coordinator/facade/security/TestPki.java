package io.gitstratum.coordinator.facade.security;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for tests (BouncyCastle, in-process): EC P-256 keys, PEM
 * files as operators would hand them to the facade and to etcd (certificate chains, PKCS#8 keys,
 * CRLs). Not thread-safe.
 */
final class TestPki {
  private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

  /** A certificate and its key, as PEM files. */
  record Issued(Path certificate, Path key, X509Certificate x509) {}

  private final Path dir;
  private final String name;
  private final KeyPair caKeys;
  private final X509Certificate caCertificate;
  private final Path caFile;
  private final List<BigInteger> revoked = new ArrayList<>();

  private TestPki(Path dir, String name) {
    this.dir = dir;
    this.name = name;
    this.caKeys = keyPair();
    X500Name subject = new X500Name("CN=" + name + " test CA,O=gitstratum tests");
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(Instant.now().minus(Duration.ofHours(1))),
          Date.from(Instant.now().plus(Duration.ofDays(2))), subject, caKeys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      this.caCertificate = convert(builder.build(signer()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.caFile = dir.resolve(name + "-ca.pem");
    write(caFile, caCertificate);
  }

  static TestPki create(Path dir, String name) {
    return new TestPki(dir, name);
  }

  /** The CA certificate as a PEM file. */
  Path caFile() {
    return caFile;
  }

  X509Certificate caCertificate() {
    return caCertificate;
  }

  /** A server certificate for 127.0.0.1 and localhost (usable as a client certificate too). */
  Issued server(String file, String commonName) {
    return issue(file, commonName, null, true);
  }

  /** A client certificate with the given CN (null: none) and node id SAN URI (null: none). */
  Issued client(String file, String commonName, String nodeId) {
    return issue(file, commonName, nodeId == null ? null : "gitstratum://node/" + nodeId, false);
  }

  /** An operator's client certificate: SAN URI {@code gitstratum://operator/<name>}, no CN. */
  Issued operator(String file, String name) {
    return issue(file, null, "gitstratum://operator/" + name, false);
  }

  /** Writes a CRL revoking {@code revokedNow} and everything revoked before, to {@code file}. */
  Path crl(Path file, X509Certificate... revokedNow) {
    for (X509Certificate c : revokedNow) {
      revoked.add(c.getSerialNumber());
    }
    try {
      X509v2CRLBuilder builder = new X509v2CRLBuilder(
          new X509CertificateHolder(caCertificate.getEncoded()).getSubject(), new Date());
      builder.setNextUpdate(Date.from(Instant.now().plus(Duration.ofDays(1))));
      for (BigInteger serial : revoked) {
        builder.addCRLEntry(serial, new Date(), CRLReason.keyCompromise);
      }
      writeAtomically(file, new JcaX509CRLConverter().getCRL(builder.build(signer())));
      return file;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private Issued issue(String file, String commonName, String uri, boolean server) {
    KeyPair keys = keyPair();
    String subject = commonName == null ? "O=gitstratum tests" : "CN=" + commonName
        + ",O=gitstratum tests";
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate,
          serial(), Date.from(Instant.now().minus(Duration.ofHours(1))),
          Date.from(Instant.now().plus(Duration.ofDays(1))), new X500Name(subject),
          keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      List<GeneralName> names = new ArrayList<>();
      if (server) {
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        names.add(new GeneralName(GeneralName.dNSName, "localhost"));
      }
      if (uri != null) {
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      }
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509Certificate certificate = convert(builder.build(signer()));
      Path certFile = dir.resolve(file + ".pem");
      Path keyFile = dir.resolve(file + ".key");
      writeAtomically(certFile, certificate);
      writeAtomically(keyFile, new JcaPKCS8Generator(keys.getPrivate(), null));
      return new Issued(certFile, keyFile, certificate);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces {@code target} with a copy of {@code source} in one rename, as a deploy would. */
  static void replace(Path source, Path target) {
    try {
      Path temp = Files.createTempFile(target.getParent(), ".swap", ".tmp");
      Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ContentSigner signer() {
    try {
      return new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate());
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate convert(X509CertificateHolder holder) {
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIALS.incrementAndGet());
  }

  private static void write(Path file, Object pem) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(pem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Files.writeString(file, text.toString(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeAtomically(Path file, Object pem) {
    try {
      Path temp = Files.createTempFile(file.getParent(), ".pem", ".tmp");
      write(temp, pem);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "TestPki[" + name + "]";
  }
}
