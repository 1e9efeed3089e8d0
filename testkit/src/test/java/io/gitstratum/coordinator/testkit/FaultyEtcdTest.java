package io.gitstratum.coordinator.testkit;

import static io.gitstratum.coordinator.testkit.SocketIo.accept;
import static io.gitstratum.coordinator.testkit.SocketIo.receive;
import static io.gitstratum.coordinator.testkit.SocketIo.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Routing and per-member faults, with plain server sockets standing in for the members. */
@Timeout(10)
class FaultyEtcdTest {

  @Test
  void eachProxyLeadsToItsOwnMemberAndFaultsStayPerMember() throws Exception {
    try (ServerSocket member0 = SocketIo.listen();
        ServerSocket member1 = SocketIo.listen();
        FaultyEtcd faulty =
            FaultyEtcd.start(
                List.of(
                    "http://127.0.0.1:" + member0.getLocalPort(),
                    "http://127.0.0.1:" + member1.getLocalPort()))) {
      assertEquals(2, faulty.size());
      assertEquals(faulty.proxy(0).endpoint(), faulty.endpoints().get(0));
      assertEquals(faulty.proxy(1).endpoint(), faulty.endpoints().get(1));
      assertNotEquals(faulty.endpoints().get(0), faulty.endpoints().get(1));
      assertEquals(String.join(",", faulty.endpoints()), faulty.endpointsCsv());

      faulty.blackHole(0); // must not touch member 1's path

      try (Socket client = SocketIo.connect(URI.create(faulty.endpoints().get(1)).getPort());
          Socket server = accept(member1)) {
        send(client, "to-1");
        assertEquals("to-1", receive(server, 4));
        send(server, "from-1");
        assertEquals("from-1", receive(client, 6));
      }
    }
  }
}
