package io.gitstratum.coordinator.facade.tls;

import io.grpc.ServerBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS of the gRPC port: builds the server's Netty SSL context around reloading key and trust
 * managers, and checks the files every {@code reloadInterval}, swapping in what changed for the
 * next handshake, without a restart. Files that cannot be used (a rotation half done: the new
 * certificate already there, its key not yet) are refused with a warning and retried at the next
 * check; the previous material stays in use meanwhile.
 *
 * <p>Uses the JDK's TLS provider explicitly: its handshakes ask the key and trust managers every
 * time, which is what makes the reload work. Without a certificate the port is plaintext.
 * Thread-safe; the reload task runs on the scheduler given to {@link #startReloading}.
 */
@Singleton
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  private final TlsSettings settings;
  private final ReloadingKeyManager keys;
  private final ReloadingTrustManager trust;
  private final WatchedFiles files;
  private ScheduledFuture<?> reloading;
  private String lastFailure; // reload thread only

  /**
   * Loads the files now, so that a bad path or a mismatched key stops start-up.
   *
   * @throws IllegalArgumentException naming the file that cannot be used
   */
  @Inject
  public ServerTls(TlsSettings settings, Clock clock) {
    this.settings = settings;
    if (!settings.enabled()) {
      this.keys = null;
      this.trust = null;
      this.files = null;
      return;
    }
    this.keys = new ReloadingKeyManager(settings.certificate(), settings.key());
    this.trust = settings.mutual()
        ? new ReloadingTrustManager(settings.clientCa(), settings.crl(), clock) : null;
    List<Path> watched = new ArrayList<>(List.of(settings.certificate(), settings.key()));
    if (settings.mutual()) {
      watched.add(settings.clientCa());
    }
    if (settings.crl() != null) {
      watched.add(settings.crl());
    }
    this.files = new WatchedFiles(watched);
  }

  public TlsSettings settings() {
    return settings;
  }

  /** Whether {@code certificate} is on the current CRL (always false without one). */
  public boolean isRevoked(X509Certificate certificate) {
    return trust != null && trust.isRevoked(certificate);
  }

  /**
   * Puts TLS on the server's port, or logs that the port stays plaintext.
   *
   * @throws IllegalArgumentException when TLS is configured but the builder is not Netty's
   */
  public void applyTo(ServerBuilder<?> builder) {
    if (!settings.enabled()) {
      log.warn("the gRPC port is PLAINTEXT: anyone who can reach it can register and "
          + "deregister nodes. Fine for local development; elsewhere set --tls-cert, --tls-key "
          + "and --tls-client-ca (docs/SECURITY.md)");
      return;
    }
    if (!(builder instanceof NettyServerBuilder netty)) {
      throw new IllegalArgumentException("TLS needs a Netty server builder, got "
          + builder.getClass().getName());
    }
    netty.sslContext(sslContext());
    if (settings.mutual()) {
      log.info("gRPC port: {} with required client certificates (CA {}{}); node-bound "
          + "authorization on, operators {}", settings.protocols(), settings.clientCa(),
          settings.crl() == null ? "" : ", CRL " + settings.crl(), settings.operators());
    } else {
      log.warn("gRPC port: {} without client certificates: any client that reaches it may "
          + "register and deregister any node; set --tls-client-ca for node-bound "
          + "authorization", settings.protocols());
    }
  }

  private SslContext sslContext() {
    SslContextBuilder builder = GrpcSslContexts.configure(SslContextBuilder.forServer(keys),
        SslProvider.JDK).protocols(settings.protocols());
    if (trust != null) {
      builder.trustManager(trust).clientAuth(ClientAuth.REQUIRE);
    }
    try {
      return builder.build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** Checks the files every reload interval from now on, until the scheduler stops. */
  public synchronized void startReloading(ScheduledExecutorService scheduler) {
    if (!settings.enabled() || reloading != null) {
      return;
    }
    long period = settings.reloadInterval().toMillis();
    reloading = scheduler.scheduleWithFixedDelay(this::reloadIfChanged, period, period,
        TimeUnit.MILLISECONDS);
  }

  /** Reloads whatever changed; never throws (it runs on a schedule). */
  void reloadIfChanged() {
    try {
      if (!files.changed()) {
        return;
      }
      X509Certificate leaf = keys.reload(settings.certificate(), settings.key());
      if (trust != null) {
        trust.reload(settings.clientCa(), settings.crl());
      }
      lastFailure = null;
      log.info("TLS files reloaded: serving certificate {} (serial {}, valid until {})",
          leaf.getSubjectX500Principal().getName(), leaf.getSerialNumber().toString(16),
          leaf.getNotAfter().toInstant());
    } catch (RuntimeException e) {
      // Keep serving with what we have and try again next time; say so once per problem.
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastFailure)) {
        log.warn("TLS files changed but cannot be used yet, keeping the previous ones: {}",
            problem);
        lastFailure = problem;
      }
      files.forget();
    }
  }
}
