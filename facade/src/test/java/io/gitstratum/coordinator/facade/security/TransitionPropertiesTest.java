package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.core.RequestValidator;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.errors.CoordinatorException;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Random histories of register / heartbeat / lease expiry (SUSPECT) / grace end (DOWN) /
 * deregister over a few node ids, run through the pure transitions with a model of the liveness
 * keys: every change adds exactly 1 to the version, only the state machine's edges occur, and
 * replaying the emitted events from an empty topology reproduces the final one.
 */
class TransitionPropertiesTest {
  private static final String[] IDS = {"n1", "n2", "n3", "n4"};
  private static final String[] GENERATIONS = {"g1", "g2"};
  private static final NodeState[] REPORTED = {NodeState.NODE_STATE_UNKNOWN,
      NodeState.NODE_STATE_ACTIVE, NodeState.NODE_STATE_JOINING, NodeState.NODE_STATE_DRAINING};

  private enum Op { REGISTER, HEARTBEAT, EXPIRE, GRACE_ENDS, DEREGISTER }

  /** The allowed (from, to) state changes of a heartbeat (CONTRACT.md, State machine). */
  private static final Set<String> HEARTBEAT_EDGES = Set.of(
      "JOINING>ACTIVE", "JOINING>DRAINING", "ACTIVE>DRAINING",
      "SUSPECT>ACTIVE", "SUSPECT>JOINING", "SUSPECT>DRAINING",
      "DOWN>ACTIVE", "DOWN>JOINING", "DOWN>DRAINING");

  /** The liveness keys in etcd, as the transitions' effects leave them. */
  private static final class Liveness implements LivenessView {
    final Set<String> alive = new HashSet<>();
    final Set<String> grace = new HashSet<>();
    final Set<String> drained = new HashSet<>();

    @Override
    public boolean hasAlive(String nodeId) {
      return alive.contains(nodeId);
    }

    @Override
    public boolean hasGrace(String nodeId) {
      return grace.contains(nodeId);
    }

    @Override
    public boolean isDrained(String nodeId) {
      return drained.contains(nodeId);
    }

    void apply(List<LivenessEffect> effects) {
      for (LivenessEffect effect : effects) {
        if (effect instanceof LivenessEffect.AttachAlive) {
          alive.add(effect.nodeId());
        } else if (effect instanceof LivenessEffect.StartGrace) {
          grace.add(effect.nodeId());
        } else if (effect instanceof LivenessEffect.ClearGrace) {
          grace.remove(effect.nodeId());
        } else if (effect instanceof LivenessEffect.MarkDrained) {
          drained.add(effect.nodeId());
        } else if (effect instanceof LivenessEffect.ClearDrained) {
          drained.remove(effect.nodeId());
        } else {
          alive.remove(effect.nodeId());
          grace.remove(effect.nodeId());
          drained.remove(effect.nodeId());
        }
      }
    }
  }

  /** Every edge any history took, checked once all have run. */
  private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

  @Property(tries = 400)
  void randomHistoriesKeepTheContract(@ForAll long seed) {
    Random random = new Random(seed);
    Topology topology = Topology.empty();
    Liveness liveness = new Liveness();
    List<TopologyUpdate> log = new ArrayList<>();
    int steps = 20 + random.nextInt(60);
    for (int step = 0; step < steps; step++) {
      Op op = Op.values()[random.nextInt(Op.values().length)];
      String id = IDS[random.nextInt(IDS.length)];
      Transition<?> transition;
      try {
        transition = run(op, id, topology, liveness, random, step);
      } catch (CoordinatorException e) {
        continue; // refused (unknown node, zombie generation, type conflict): nothing changes
      }
      Topology before = topology;
      long expected = before.version();
      Topology.Draft draft = before.draft();
      for (TopologyUpdate update : transition.updates()) {
        assertEquals(expected, update.getPreviousVersion(), "previous version of " + update);
        assertEquals(expected + 1, update.getVersion(), "each change adds exactly 1");
        SEEN.add(checkEdge(op, before, update));
        draft.apply(update);
        expected++;
      }
      topology = draft.build();
      assertEquals(before.version() + transition.updates().size(), topology.version());
      liveness.apply(transition.effects());
      log.addAll(transition.updates());
    }
    Topology replayed = Topology.empty();
    for (TopologyUpdate update : log) {
      replayed = replayed.apply(update);
    }
    assertEquals(topology.version(), replayed.version());
    assertEquals(byId(topology), byId(replayed), "replaying the events reproduces it");
  }

  @AfterContainer
  static void theHistoriesReachTheInterestingEdges() {
    // The histories are worth something only if they reach the interesting edges.
    assertTrue(SEEN.containsAll(Set.of("added", "removed", "JOINING>ACTIVE", "ACTIVE>SUSPECT",
        "SUSPECT>DOWN", "DOWN>ACTIVE", "SUSPECT>ACTIVE", "ACTIVE>DRAINING")), "edges seen: "
        + SEEN);
  }

  private static Transition<?> run(Op op, String id, Topology topology, Liveness liveness,
      Random random, int now) {
    String generation = GENERATIONS[random.nextInt(GENERATIONS.length)];
    return switch (op) {
      case REGISTER -> {
        NodeInfo node = NodeInfo.newBuilder().setId(id).setAddress("10.0.0." + (1
                + random.nextInt(2))).setPort(7000)
            .setType(random.nextInt(10) == 0 ? NodeType.NODE_TYPE_FRONTEND
                : NodeType.NODE_TYPE_OBJECT)
            .setGenerationId(generation).build();
        yield TopologyTransitions.register(topology, RequestValidator.register(
            RegisterNodeRequest.newBuilder().setNode(node).build()), now);
      }
      case HEARTBEAT -> TopologyTransitions.heartbeat(topology, liveness,
          HeartbeatRequest.newBuilder().setNodeId(id).setGenerationId(generation)
              .setReportedState(REPORTED[random.nextInt(REPORTED.length)]).build(), now);
      case EXPIRE -> {
        liveness.alive.remove(id); // the node's lease ran out
        yield TopologyTransitions.suspect(topology, liveness, id);
      }
      case GRACE_ENDS -> {
        liveness.grace.remove(id);
        yield TopologyTransitions.down(topology, liveness, id);
      }
      case DEREGISTER -> TopologyTransitions.deregister(topology, DeregisterNodeRequest
          .newBuilder().setNodeId(id).setGenerationId(random.nextBoolean() ? "" : generation)
          .build());
    };
  }

  /** Checks the change against the state machine; answers its edge, for coverage. */
  private static String checkEdge(Op op, Topology before, TopologyUpdate update) {
    switch (update.getUpdateCase()) {
      case NODE_ADDED -> {
        assertEquals(Op.REGISTER, op, "only a registration adds a node");
        assertEquals(NodeState.NODE_STATE_JOINING, update.getNodeAdded().getState());
        return "added";
      }
      case NODE_REMOVED -> {
        assertEquals(Op.DEREGISTER, op, "only a deregistration removes");
        return "removed";
      }
      case NODE_UPDATED -> {
        NodeInfo after = update.getNodeUpdated();
        NodeInfo was = before.node(after.getId()).orElseThrow(
            () -> new AssertionError("update of an absent node " + after.getId()));
        String edge = name(was.getState()) + ">" + name(after.getState());
        switch (op) {
          case REGISTER -> assertTrue(after.getState() == NodeState.NODE_STATE_JOINING
              || (was.getState() == after.getState()
                  && was.getGenerationId().equals(after.getGenerationId())),
              "registration: " + edge);
          case HEARTBEAT -> assertTrue(HEARTBEAT_EDGES.contains(edge), "heartbeat: " + edge);
          case EXPIRE -> {
            assertTrue(TopologyTransitions.LIVE.contains(was.getState())
                && after.getState() == NodeState.NODE_STATE_SUSPECT, "expiry: " + edge);
            assertEquals(was.getSuspectCount() + 1, after.getSuspectCount());
          }
          case GRACE_ENDS -> assertEquals("SUSPECT>DOWN", edge, "grace end");
          default -> fail(op + " updated a node: " + edge);
        }
        return edge;
      }
      default -> throw new AssertionError("not a change event: " + update);
    }
  }

  private static String name(NodeState state) {
    return state.name().substring("NODE_STATE_".length());
  }

  private static Map<String, NodeInfo> byId(Topology topology) {
    return topology.nodes().stream().collect(Collectors.toMap(NodeInfo::getId, n -> n));
  }
}
