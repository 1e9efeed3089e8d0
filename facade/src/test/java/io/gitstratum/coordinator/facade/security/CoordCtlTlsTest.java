package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.cli.CoordCtl;
import io.gitstratum.coordinator.facade.it.PerTestFacades;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** coordctl takes the same TLS settings as the facade: CA, client certificate and key. */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CoordCtlTlsTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  @TempDir
  static Path dir;

  private static TestPki pki;
  private static TestPki.Issued server;
  private static TestPki.Issued node1;

  @BeforeAll
  static void issue() {
    pki = TestPki.create(dir, "coordctl");
    server = pki.server("server", "coordinator");
    node1 = pki.client("node1", "some-host.example", "obj-1");
  }

  private record Run(int exit, String out, String err) {}

  private static Run coordctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CoordCtl.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void talksMutualTlsWithTheNodesOwnIdentity() {
    FacadeServer facade = facades.harness().start(facades.cluster(), c -> c.withTls(
        new TlsSettings(server.certificate(), server.key(), pki.caFile(), null,
            List.of("TLSv1.3"), Duration.ofSeconds(10), Set.of())));
    String endpoint = "127.0.0.1:" + facade.port();
    String[] tls = {"--tls-ca", pki.caFile().toString(), "--tls-cert",
        node1.certificate().toString(), "--tls-key", node1.key().toString()};

    Run own = coordctl(concat(new String[] {"--endpoints", endpoint, "register", "--id",
        "obj-1", "--address", "10.0.0.1", "--port", "7000", "--type", "object",
        "--generation", "g1"}, tls));
    assertEquals(CoordCtl.OK, own.exit(), own.err());
    Run beat = coordctl(concat(new String[] {"--endpoints", endpoint, "heartbeat", "obj-1",
        "--generation", "g1"}, tls));
    assertEquals(CoordCtl.OK, beat.exit(), beat.err());
    Run read = coordctl(concat(new String[] {"--endpoints", endpoint, "topology"}, tls));
    assertEquals(CoordCtl.OK, read.exit(), read.err());
    assertTrue(read.out().contains("obj-1"), read.out());

    Run other = coordctl(concat(new String[] {"--endpoints", endpoint, "register", "--id",
        "obj-2", "--address", "10.0.0.1", "--port", "7000", "--type", "object"}, tls));
    assertEquals(CoordCtl.ERROR, other.exit());
    assertTrue(other.err().toLowerCase().contains("permission"), other.err());

    // The admin service takes operators only: a node certificate is told so in one line.
    Run admin = coordctl(concat(new String[] {"--endpoints", endpoint, "detector", "status"},
        tls));
    assertEquals(CoordCtl.ERROR, admin.exit(), admin.err());
    assertTrue(admin.err().startsWith("coordctl: PERMISSION_DENIED: the admin service takes "
        + "operators only"), admin.err());
    assertEquals(1, admin.err().lines().count(), admin.err());
    // A replay still works for a node; only the states before the changes (history) are missing.
    Run replay = coordctl(concat(new String[] {"--endpoints", endpoint, "watch", "--since", "1",
        "--max-updates", "1"}, tls));
    assertEquals(CoordCtl.OK, replay.exit(), replay.err());
    assertEquals("v2 updated obj-1 OBJECT ACTIVE 10.0.0.1:7000 -", replay.out().strip());
    assertTrue(replay.err().startsWith("# replayed changes without (was X): PERMISSION_DENIED"),
        replay.err());

    Run plaintext = coordctl("--endpoints", endpoint, "--timeout", "1s", "topology");
    assertEquals(CoordCtl.UNREACHABLE, plaintext.exit(), plaintext.err());
    assertTrue(plaintext.err().contains("does the facade require TLS?"), plaintext.err());

    Run noCertificate = coordctl("--endpoints", endpoint, "--timeout", "1s", "--tls-ca",
        pki.caFile().toString(), "topology");
    assertEquals(CoordCtl.UNREACHABLE, noCertificate.exit(), noCertificate.err());
    assertTrue(noCertificate.err().contains("requires a client certificate"),
        noCertificate.err());

    Run half = coordctl("--endpoints", endpoint, "--tls-cert", node1.certificate().toString(),
        "topology");
    assertEquals(CoordCtl.USAGE, half.exit(), half.err());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
