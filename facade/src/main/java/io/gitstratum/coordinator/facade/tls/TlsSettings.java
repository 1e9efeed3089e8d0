package io.gitstratum.coordinator.facade.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * TLS of the gRPC port (docs/SECURITY.md). Without a certificate the port is plaintext (local
 * development only; the facade logs a warning). With a client CA, mutual TLS is required and
 * node-bound authorization applies.
 *
 * @param certificate PEM certificate chain of the server, leaf first; null for plaintext
 * @param key PEM PKCS#8 private key of that certificate
 * @param clientCa PEM CA certificates that sign client certificates; null: no client
 *     certificates (server-side TLS only)
 * @param crl PEM certificate revocation list(s) of those CAs; null: none
 * @param protocols enabled TLS versions, such as {@code TLSv1.3}
 * @param reloadInterval how often the files are checked for changes
 * @param operators operator names (certificate URI {@code gitstratum://operator/<name>}) that
 *     may act on every node and use the admin service
 */
public record TlsSettings(Path certificate, Path key, Path clientCa, Path crl,
    List<String> protocols, Duration reloadInterval, Set<String> operators) {
  private static final Set<String> KNOWN_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  public TlsSettings {
    protocols = List.copyOf(protocols);
    operators = Set.copyOf(operators);
    if ((certificate == null) != (key == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    if (certificate == null && (clientCa != null || crl != null)) {
      throw new IllegalArgumentException("--tls-client-ca and --tls-crl need --tls-cert/--tls-key");
    }
    if (crl != null && clientCa == null) {
      throw new IllegalArgumentException("--tls-crl revokes client certificates: it needs "
          + "--tls-client-ca");
    }
    if (protocols.isEmpty() || !KNOWN_PROTOCOLS.containsAll(protocols)) {
      throw new IllegalArgumentException("--tls-protocols must be TLSv1.3 and/or TLSv1.2, got "
          + protocols);
    }
    if (reloadInterval.isNegative() || reloadInterval.isZero()) {
      throw new IllegalArgumentException("--tls-reload-interval must be > 0");
    }
    if (operators.stream().anyMatch(String::isBlank)) {
      throw new IllegalArgumentException("--operators must not contain empty names");
    }
  }

  /** Plaintext: no TLS at all. */
  public static TlsSettings plaintext() {
    return new TlsSettings(null, null, null, null, List.of("TLSv1.3"), Duration.ofSeconds(10),
        Set.of());
  }

  public boolean enabled() {
    return certificate != null;
  }

  /** Whether clients must present a certificate signed by {@link #clientCa()}. */
  public boolean mutual() {
    return clientCa != null;
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--tls-cert",
        description = "PEM certificate chain for the gRPC port; unset: plaintext")
    Path certificate;

    @Option(names = "--tls-key", description = "PEM (PKCS#8) private key of --tls-cert")
    Path key;

    @Option(names = "--tls-client-ca",
        description = "PEM CA bundle; when set, clients must present a certificate it signed "
            + "(mutual TLS) and node-bound authorization applies")
    Path clientCa;

    @Option(names = "--tls-crl",
        description = "PEM certificate revocation list(s) for client certificates")
    Path crl;

    @Option(names = "--tls-protocols", split = ",", defaultValue = "TLSv1.3",
        description = "TLS versions of the gRPC port: TLSv1.3 and/or TLSv1.2 "
            + "(default ${DEFAULT-VALUE})")
    List<String> protocols;

    @Option(names = "--tls-reload-interval", defaultValue = "10s",
        description = "how often certificate, key, CA and CRL files are checked for changes "
            + "(default ${DEFAULT-VALUE})")
    Duration reloadInterval;

    @Option(names = "--operators", split = ",", defaultValue = "",
        description = "operator names (client certificate URI gitstratum://operator/<name>) "
            + "that may act on any node and use the admin service (comma-separated, default none)")
    List<String> operators;

    public TlsSettings toSettings() {
      return new TlsSettings(certificate, key, clientCa, crl, protocols, reloadInterval,
          operators.stream().map(String::trim).filter(o -> !o.isEmpty())
              .collect(Collectors.toSet()));
    }
  }
}
