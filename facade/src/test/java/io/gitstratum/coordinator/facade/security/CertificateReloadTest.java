package io.gitstratum.coordinator.facade.security;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gitstratum.coordinator.facade.it.PerTestFacades;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates, CAs and CRLs change on disk while the facade runs: new handshakes use them
 * within the reload interval, without a restart; broken replacements are not used.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CertificateReloadTest {
  private static final Duration RELOAD = Duration.ofMillis(200);

  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  @TempDir
  Path dir;

  private TestPki pki;
  private TestPki.Issued server;
  private Path caBundle;
  private Path crl;
  private TlsClients clients;

  @AfterEach
  void closeClients() {
    if (clients != null) {
      clients.close();
    }
  }

  private FacadeServer start(boolean withCrl) throws Exception {
    pki = TestPki.create(dir, "reload");
    server = pki.server("server", "coordinator");
    caBundle = dir.resolve("client-ca.pem");
    Files.copy(pki.caFile(), caBundle);
    crl = withCrl ? pki.crl(dir.resolve("clients.crl")) : null;
    clients = new TlsClients(pki.caFile());
    return facades.harness().start(facades.cluster(), c -> c.withTls(new TlsSettings(
        server.certificate(), server.key(), caBundle, crl, List.of("TLSv1.3"), RELOAD,
        Set.of())));
  }

  private CoordinatorServiceBlockingStub stub(FacadeServer facade, TestPki.Issued client) {
    return CoordinatorServiceGrpc.newBlockingStub(clients.channel(facade.port(), client))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private BigInteger servedSerial(FacadeServer facade, TestPki.Issued client) {
    return clients.handshake(facade.port(), client).serverCertificate().getSerialNumber();
  }

  @Test
  void aReplacedServerCertificateIsUsedByTheNextHandshake() throws Exception {
    FacadeServer facade = start(false);
    TestPki.Issued client = pki.client("client", "obj-1", null);
    CoordinatorServiceBlockingStub before = stub(facade, client);
    before.getTopology(GetTopologyRequest.getDefaultInstance());
    assertEquals(server.x509().getSerialNumber(), servedSerial(facade, client));

    TestPki.Issued renewed = pki.server("renewed", "coordinator");
    TestPki.replace(renewed.key(), server.key());
    TestPki.replace(renewed.certificate(), server.certificate());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        servedSerial(facade, client).equals(renewed.x509().getSerialNumber()));

    before.getTopology(GetTopologyRequest.getDefaultInstance()); // open connections carry on
    stub(facade, client).getTopology(GetTopologyRequest.getDefaultInstance());
  }

  @Test
  void aHalfDoneRotationKeepsThePreviousCertificateUntilItIsComplete() throws Exception {
    FacadeServer facade = start(false);
    TestPki.Issued client = pki.client("client", "obj-1", null);
    TestPki.Issued renewed = pki.server("renewed", "coordinator");
    TestPki.replace(renewed.certificate(), server.certificate()); // its key is not there yet
    // Several reload intervals pass with a certificate that does not match the key.
    for (int i = 0; i < 5; i++) {
      Thread.sleep(RELOAD.toMillis());
      assertEquals(server.x509().getSerialNumber(), servedSerial(facade, client));
    }
    TestPki.replace(renewed.key(), server.key());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        servedSerial(facade, client).equals(renewed.x509().getSerialNumber()));
  }

  @Test
  void aCertificateOnTheCrlIsRefusedOnNewAndOpenConnections() throws Exception {
    FacadeServer facade = start(true);
    TestPki.Issued revoked = pki.client("revoked", "obj-1", null);
    TestPki.Issued kept = pki.client("kept", "obj-2", null);
    CoordinatorServiceBlockingStub open = stub(facade, revoked);
    open.getTopology(GetTopologyRequest.getDefaultInstance());

    pki.crl(crl, revoked.x509());
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> open.getTopology(GetTopologyRequest.getDefaultInstance()));
      ErrorDetails.expect(e, Status.Code.UNAUTHENTICATED, "CERTIFICATE_REVOKED");
      return true;
    });
    StatusRuntimeException fresh = assertThrows(StatusRuntimeException.class,
        () -> stub(facade, revoked).getTopology(GetTopologyRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, fresh.getStatus().getCode(),
        "a new connection fails its handshake: " + fresh);
    stub(facade, kept).getTopology(GetTopologyRequest.getDefaultInstance());
  }

  @Test
  void aClientCaAddedToTheBundleIsTrustedWithoutARestart() throws Exception {
    FacadeServer facade = start(false);
    TestPki other = TestPki.create(dir, "second");
    TestPki.Issued newcomer = other.client("newcomer", "obj-5", null);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub(facade, newcomer).getTopology(GetTopologyRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());

    Path bundle = dir.resolve("bundle.tmp");
    Files.writeString(bundle, Files.readString(pki.caFile()) + Files.readString(other.caFile()));
    TestPki.replace(bundle, caBundle);
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
      stub(facade, newcomer).getTopology(GetTopologyRequest.getDefaultInstance());
      return true;
    });
  }
}
