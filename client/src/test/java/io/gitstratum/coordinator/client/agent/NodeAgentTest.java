package io.gitstratum.coordinator.client.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.errors.InvalidArgumentException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.testing.FakeCoordinator;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/** The agent's protocol against a scripted in-process facade (the real one: facade clientit). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodeAgentTest {
  private FakeCoordinator facade;
  private CoordinatorClient client;
  private final List<String> heard = new CopyOnWriteArrayList<>();
  private final NodeAgentListener listener = new NodeAgentListener() {
    @Override
    public void refreshRequired(long currentVersion) {
      heard.add("refresh " + currentVersion);
    }

    @Override
    public void reregistered() {
      heard.add("reregistered");
    }

    @Override
    public void stopped(ZombieGenerationException cause) {
      heard.add("stopped");
    }
  };

  @BeforeEach
  void start(TestInfo test) {
    facade = FakeCoordinator.start("agent-" + test.getTestMethod().orElseThrow().getName());
    client = CoordinatorClient.builder(List.of(facade.endpoint()))
        .channelFactory(FakeCoordinator.channels())
        .maxAttempts(1)
        .build();
  }

  @AfterEach
  void stop() {
    client.close();
    facade.close();
  }

  private NodeAgent agent() {
    return NodeAgent.builder(client).nodeId("obj-1").address("10.0.0.1", 7000)
        .type(NodeType.NODE_TYPE_OBJECT).label("zone", "a").listener(listener)
        .clock(Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC))
        .build();
  }

  private List<HeartbeatRequest> beats() {
    return facade.requests(HeartbeatRequest.class);
  }

  private NodeState lastReported() {
    List<HeartbeatRequest> beats = beats();
    return beats.get(beats.size() - 1).getReportedState();
  }

  @Test
  void registersHeartbeatsAtTheAdvisedIntervalReportsReadyDrainsAndDeregisters() {
    NodeAgent agent = agent();
    assertEquals(AgentState.NEW, agent.state());
    assertThrows(IllegalStateException.class, agent::markReady);
    agent.start();
    RegisterNodeRequest registered = facade.requests(RegisterNodeRequest.class).get(0);
    assertEquals("obj-1", registered.getNode().getId());
    assertEquals(agent.generationId(), registered.getNode().getGenerationId());
    assertEquals("a", registered.getNode().getLabelsOrThrow("zone"));
    assertEquals(AgentState.JOINING, agent.state());

    // The fake advises 50 ms: several heartbeats arrive quickly, all with the generation.
    await().until(() -> beats().size() >= 3);
    assertEquals(Duration.ofMillis(50), agent.heartbeatInterval());
    assertTrue(beats().stream().allMatch(b -> b.getGenerationId().equals(agent.generationId())));
    assertEquals(NodeState.NODE_STATE_JOINING, beats().get(0).getReportedState());
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), agent.lastAcknowledged().orElseThrow());

    agent.markReady();
    assertEquals(AgentState.ACTIVE, agent.state());
    assertEquals(NodeState.NODE_STATE_ACTIVE, lastReported());

    agent.drain();
    assertEquals(AgentState.DRAINING, agent.state());
    agent.markReady(); // too late: a draining process stays draining
    assertEquals(AgentState.DRAINING, agent.state());
    int before = beats().size();
    await().until(() -> beats().size() > before + 1);
    assertEquals(NodeState.NODE_STATE_DRAINING, lastReported());

    agent.close();
    assertEquals(AgentState.CLOSED, agent.state());
    DeregisterNodeRequest gone = facade.requests(DeregisterNodeRequest.class).get(0);
    assertEquals("obj-1", gone.getNodeId());
    assertEquals(agent.generationId(), gone.getGenerationId());
    int after = beats().size();
    agent.close();
    assertEquals(after, beats().size(), "no heartbeat after close");
    assertEquals(1, facade.requests(DeregisterNodeRequest.class).size());
  }

  @Test
  void notFoundMakesItRegisterAgainAndReportItsState() {
    NodeAgent agent = agent();
    agent.start();
    agent.markReady();
    AtomicInteger forgotten = new AtomicInteger(1);
    facade.heartbeat = r -> {
      if (forgotten.getAndDecrement() > 0) {
        throw FakeCoordinator.status(Status.Code.NOT_FOUND, "node obj-1 is not registered");
      }
      return HeartbeatResponse.newBuilder().setCurrentVersion(1).setHeartbeatIntervalMs(50)
          .build();
    };
    await().until(() -> heard.contains("reregistered"));
    assertEquals(2, facade.requests(RegisterNodeRequest.class).size());
    await().until(() -> agent.state() == AgentState.ACTIVE);
    assertEquals(NodeState.NODE_STATE_ACTIVE, lastReported());
    agent.close();
  }

  @Test
  void anotherGenerationStopsTheAgentForGood() {
    NodeAgent agent = agent();
    agent.start();
    facade.heartbeat = r -> {
      throw FakeCoordinator.status(Status.Code.FAILED_PRECONDITION,
          "generation mismatch for obj-1");
    };
    await().until(() -> agent.state() == AgentState.REPLACED);
    assertInstanceOf(ZombieGenerationException.class, agent.failure().orElseThrow());
    assertEquals(List.of("stopped"), heard);
    int beats = beats().size();
    IllegalStateException late = assertThrows(IllegalStateException.class, agent::markReady);
    assertInstanceOf(ZombieGenerationException.class, late.getCause());
    assertEquals(beats, beats().size(), "a replaced agent sends nothing");
    agent.close();
    assertEquals(AgentState.CLOSED, agent.state());
    assertTrue(facade.requests(DeregisterNodeRequest.class).isEmpty(),
        "the id belongs to the other process");
  }

  @Test
  void refreshRequiredIsPassedOnAndTheNewVersionReported() {
    facade.heartbeat = r -> HeartbeatResponse.newBuilder().setCurrentVersion(7)
        .setRefreshRequired(r.getKnownVersion() < 7).setHeartbeatIntervalMs(50).build();
    NodeAgent agent = agent();
    agent.start();
    await().until(() -> beats().size() >= 3);
    assertEquals("refresh 7", heard.get(0));
    assertEquals(1, heard.size());
    assertEquals(7, beats().get(beats().size() - 1).getKnownVersion());
    agent.close();
  }

  @Test
  void failedHeartbeatsKeepBeingRetried() {
    NodeAgent agent = agent();
    agent.start();
    await().until(() -> agent.lastAcknowledged().isPresent()); // the 50 ms advice has arrived
    facade.failAll = Status.UNAVAILABLE.withDescription("etcd unreachable");
    int before = beats().size();
    await().until(() -> beats().size() >= before + 3);
    facade.failAll = null;
    agent.markReady();
    assertEquals(AgentState.ACTIVE, agent.state());
    agent.close();
  }

  @Test
  void aRegistrationWhoseOutcomeIsUnknownIsUndoneWhenTheAppGivesUp() {
    facade.register = r -> {
      throw FakeCoordinator.status(Status.Code.UNAVAILABLE, "outcome not known yet");
    };
    NodeAgent agent = agent();
    assertThrows(UnavailableException.class, agent::start);
    assertEquals(AgentState.NEW, agent.state());
    agent.close();
    List<DeregisterNodeRequest> gone = facade.requests(DeregisterNodeRequest.class);
    assertEquals(1, gone.size(), "the JOINING record it may have left is removed");
    assertEquals(agent.generationId(), gone.get(0).getGenerationId());
  }

  @Test
  void aRegistrationRefusedForSureLeavesNothingToUndo() {
    facade.register = r -> {
      throw FakeCoordinator.status(Status.Code.INVALID_ARGUMENT, "bad label");
    };
    NodeAgent agent = agent();
    assertThrows(InvalidArgumentException.class, agent::start);
    agent.close();
    assertEquals(List.of(), facade.requests(DeregisterNodeRequest.class));
  }

  @Test
  void theFacadesSuspectTimeoutBoundsTheHeartbeats() {
    facade.heartbeat = r -> HeartbeatResponse.newBuilder().setHeartbeatIntervalMs(50)
        .setSuspectTimeoutMs(7000).build();
    NodeAgent agent = agent();
    agent.start();
    await().until(() -> agent.lastAcknowledged().isPresent());
    assertEquals(Duration.ofSeconds(7), agent.suspectTimeout());
    agent.close();
  }
}
