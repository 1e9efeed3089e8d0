package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.server.ListenSettings;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A second facade on a taken gRPC port (issue 16, item 10) stops before it touches etcd: no
 * prefix bootstrap, no facade registration, no election candidacy.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TakenPortTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void aTakenGrpcPortFailsTheStartBeforeAnythingIsWritten() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints());
        ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> harness.start("taken", config -> config.withListen(new ListenSettings(
              "127.0.0.1", port, "127.0.0.1:" + port, "127.0.0.1", 0, "second"))));
      assertTrue(e.getMessage().contains("gRPC port (--listen) 127.0.0.1:" + port),
          e.getMessage());
      assertEquals(List.of(), harness.etcdPrefix(FacadeHarness.keys("taken").prefix()),
          "written to etcd before the port check");
    }
  }
}
