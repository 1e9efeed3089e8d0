package io.gitstratum.coordinator.facade.clientit;

import static io.gitstratum.coordinator.facade.clientit.ClientFailoverTest.awaitState;
import static io.gitstratum.coordinator.facade.clientit.ClientFailoverTest.endpoint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.agent.AgentState;
import io.gitstratum.coordinator.client.agent.NodeAgent;
import io.gitstratum.coordinator.client.agent.NodeAgentListener;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NodeAgent against a real facade (heartbeat 1 s, suspect 2 s), every step seen by a
 * TopologyWatcher: the lifecycle, a zombie process, and a node an operator deregistered.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeAgentLifecycleTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration WAIT = Duration.ofSeconds(15);

  private FacadeHarness harness;
  private CoordinatorClient client;
  private TopologyWatcher watcher;
  private final TopologyLog log = new TopologyLog();

  @BeforeEach
  void start(TestInfo test) throws InterruptedException {
    harness = new FacadeHarness(etcd.endpoints());
    FacadeServer replica = harness.start(FacadeHarness.clusterFor(test),
        FacadeHarness::fastLiveness);
    client = CoordinatorClient.builder(List.of(endpoint(replica))).build();
    watcher = TopologyWatcher.builder(client).listener(log).start();
    assertTrue(watcher.awaitSynced(WAIT));
  }

  @AfterEach
  void stop() {
    watcher.close();
    client.close();
    harness.close();
  }

  private NodeAgent agent(String id, NodeAgentListener listener) {
    return NodeAgent.builder(client).nodeId(id).address("127.0.0.1", 7100)
        .type(NodeType.NODE_TYPE_OBJECT).label("zone", "a").listener(listener).build();
  }

  @Test
  void joiningActiveDrainingRemoved() {
    NodeAgent agent = agent("obj-1", new NodeAgentListener() {});
    agent.start();
    awaitState(watcher, "obj-1", NodeState.NODE_STATE_JOINING);
    assertEquals(agent.generationId(),
        watcher.topology().node("obj-1").orElseThrow().getGenerationId());
    assertEquals("a", watcher.topology().node("obj-1").orElseThrow().getLabelsOrThrow("zone"));

    agent.markReady();
    assertEquals(AgentState.ACTIVE, agent.state());
    awaitState(watcher, "obj-1", NodeState.NODE_STATE_ACTIVE);
    assertEquals(List.of("obj-1"), watcher.ring().members().stream()
        .map(m -> m.nodeId()).toList());

    agent.drain();
    assertEquals(AgentState.DRAINING, agent.state());
    awaitState(watcher, "obj-1", NodeState.NODE_STATE_DRAINING);

    agent.close();
    assertEquals(AgentState.CLOSED, agent.state());
    Awaitility.await().atMost(WAIT).until(() -> watcher.topology().node("obj-1").isEmpty());
    assertEquals(List.of("JOINING", "ACTIVE", "DRAINING", "removed"), log.history("obj-1"));
    log.assertNoGapOrRepeat();
  }

  @Test
  void theOlderOfTwoProcessesWithOneIdStops() {
    List<ZombieGenerationException> stops = new CopyOnWriteArrayList<>();
    NodeAgent older = agent("obj-2", new NodeAgentListener() {
      @Override
      public void stopped(ZombieGenerationException cause) {
        stops.add(cause);
      }
    });
    older.start();
    older.markReady();
    awaitState(watcher, "obj-2", NodeState.NODE_STATE_ACTIVE);

    try (NodeAgent newer = agent("obj-2", new NodeAgentListener() {})) {
      newer.start(); // a restarted process: the record now carries the new generation
      // The agent publishes REPLACED, then tells its listener: wait for both.
      Awaitility.await().atMost(WAIT)
          .until(() -> older.state() == AgentState.REPLACED && !stops.isEmpty());
      assertEquals(1, stops.size());
      assertInstanceOf(ZombieGenerationException.class, older.failure().orElseThrow());
      assertTrue(stops.get(0).getMessage().contains("obj-2"), stops.get(0).getMessage());

      newer.markReady();
      awaitState(watcher, "obj-2", NodeState.NODE_STATE_ACTIVE);
      assertEquals(newer.generationId(),
          watcher.topology().node("obj-2").orElseThrow().getGenerationId());
      older.close(); // must not remove the newer process's node
      assertEquals(AgentState.CLOSED, older.state());
      assertTrue(client.getTopology(true).getObjectNodesList().stream()
          .anyMatch(n -> n.getId().equals("obj-2")));
    }
    Awaitility.await().atMost(WAIT).until(() -> watcher.topology().node("obj-2").isEmpty());
    assertEquals(1, stops.size());
  }

  @Test
  void aNodeAnOperatorRemovedRegistersAgain() {
    List<String> heard = new CopyOnWriteArrayList<>();
    try (NodeAgent agent = agent("obj-3", new NodeAgentListener() {
      @Override
      public void reregistered() {
        heard.add("reregistered");
      }
    })) {
      agent.start();
      agent.markReady();
      awaitState(watcher, "obj-3", NodeState.NODE_STATE_ACTIVE);
      client.deregisterNode("obj-3", agent.generationId());
      Awaitility.await().atMost(WAIT).until(() -> heard.contains("reregistered"));
      awaitState(watcher, "obj-3", NodeState.NODE_STATE_ACTIVE);
      assertEquals(List.of("JOINING", "ACTIVE", "removed", "JOINING", "ACTIVE"),
          log.history("obj-3"));
    }
  }
}
