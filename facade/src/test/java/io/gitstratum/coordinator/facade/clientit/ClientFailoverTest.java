package io.gitstratum.coordinator.facade.clientit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.agent.AgentState;
import io.gitstratum.coordinator.client.agent.NodeAgent;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client library across a replica failure: a TopologyWatcher and a NodeAgent share a client
 * of two real facade replicas (heartbeat 1 s, suspect 2 s); the replica they use is closed, and
 * both carry on through the other one.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientFailoverTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration WAIT = Duration.ofSeconds(15);

  static String endpoint(FacadeServer server) {
    return "127.0.0.1:" + server.port();
  }

  @Test
  void watcherAndAgentContinueOnTheOtherReplica(TestInfo test) throws InterruptedException {
    String cluster = FacadeHarness.clusterFor(test);
    TopologyLog log = new TopologyLog();
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer r0 = harness.start(cluster, FacadeHarness::fastLiveness);
      FacadeServer r1 = harness.start(cluster, FacadeHarness::fastLiveness);
      Map<String, FacadeServer> replicas = Map.of(endpoint(r0), r0, endpoint(r1), r1);
      try (CoordinatorClient client = CoordinatorClient.builder(List.of(endpoint(r0),
              endpoint(r1))).deadline(Duration.ofSeconds(2))
              .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
          TopologyWatcher watcher = TopologyWatcher.builder(client).listener(log)
              .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).start();
          NodeAgent agent = NodeAgent.builder(client).nodeId("obj-a")
              .address("127.0.0.1", 7001).type(NodeType.NODE_TYPE_OBJECT).build()) {
        assertTrue(watcher.awaitSynced(WAIT));
        agent.start();
        agent.markReady();
        awaitState(watcher, "obj-a", NodeState.NODE_STATE_ACTIVE);
        assertEquals(Duration.ofSeconds(1), agent.heartbeatInterval());

        String used = client.currentEndpoint().orElseThrow();
        assertEquals(used, watcher.currentEndpoint().orElseThrow());
        long before = watcher.version();
        replicas.get(used).close();

        // Changes made after the failover reach the watcher through the other replica.
        client.registerNode(NodeInfo.newBuilder().setId("fe-1").setAddress("127.0.0.1")
            .setPort(8000).setType(NodeType.NODE_TYPE_FRONTEND).setGenerationId("g1").build());
        client.deregisterNode("fe-1", "g1");
        Awaitility.await().atMost(WAIT).until(() -> log.history("fe-1").contains("removed"));
        assertNotEquals(used, watcher.currentEndpoint().orElse(used));
        assertNotEquals(used, client.currentEndpoint().orElseThrow());
        assertEquals(1, watcher.resumes());

        // The agent's heartbeats keep its node alive: no SUSPECT for well past the timeout.
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(WAIT)
            .until(() -> !log.history("obj-a").contains("SUSPECT")
                && agent.state() == AgentState.ACTIVE);
        agent.drain();
        awaitState(watcher, "obj-a", NodeState.NODE_STATE_DRAINING);

        assertEquals(List.of("JOINING", "ACTIVE", "DRAINING"), log.history("obj-a"));
        assertEquals(List.of("JOINING", "removed"), log.history("fe-1"));
        assertEquals(1, log.resyncs(), "the resumed stream replayed; no full_sync was needed");
        log.assertNoGapOrRepeat();
        assertTrue(watcher.version() >= before + 3);
        assertFalse(agent.failure().isPresent());
      }
    }
  }

  static void awaitState(TopologyWatcher watcher, String nodeId, NodeState state) {
    Awaitility.await().atMost(WAIT).until(() -> watcher.topology().node(nodeId)
        .map(n -> n.getState() == state).orElse(false));
  }
}
