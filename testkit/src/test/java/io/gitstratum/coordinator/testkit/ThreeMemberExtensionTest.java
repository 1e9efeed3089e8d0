package io.gitstratum.coordinator.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("etcd")
@Timeout(60)
class ThreeMemberExtensionTest {

  @RegisterExtension static final EtcdExtension etcd = EtcdExtension.threeMembers();

  @Test
  void remainingMembersStayHealthyWhenOneStops() throws Exception {
    assertEquals(3, etcd.endpoints().size());
    if (!etcd.isLocalProcess()) {
      assertThrows(IllegalStateException.class, etcd::cluster);
      return;
    }

    etcd.cluster().stopMember(0);

    // A new leader is elected within a few 100 ms election timeouts if member 0 led.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!(healthy(etcd.endpoints().get(1)) && healthy(etcd.endpoints().get(2)))) {
      assertTrue(System.nanoTime() - deadline < 0, "members 1 and 2 did not become healthy");
      Thread.sleep(20);
    }
  }

  private static boolean healthy(String endpoint) throws InterruptedException {
    try {
      return Http.get(endpoint + "/health").body().contains("\"health\":\"true\"");
    } catch (IOException e) {
      return false;
    }
  }
}
