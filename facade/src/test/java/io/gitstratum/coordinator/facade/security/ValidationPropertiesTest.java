package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.core.RequestValidator;
import io.gitstratum.coordinator.facade.errors.InvalidArgumentException;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;

/**
 * Whatever a request holds, validation answers OK or InvalidArgumentException naming a
 * documented field, never anything else; and what it accepts obeys CONTRACT.md's input rules.
 */
class ValidationPropertiesTest {
  private static final Set<String> REGISTER_FIELDS = Set.of("node", "node.id", "node.address",
      "node.port", "node.type", "node.state", "node.generation_id", "node.labels");
  private static final Set<String> NODE_ID_FIELDS = Set.of("node_id", "generation_id",
      "reported_state");

  private static boolean validOrRejected(Supplier<?> validation, Set<String> fields) {
    try {
      validation.get();
      return true;
    } catch (InvalidArgumentException e) {
      assertTrue(fields.contains(e.field()), "undocumented field " + e.field());
      assertTrue(e.getMessage().startsWith(e.field() + ": "), e.getMessage());
      return false;
    }
  }

  @Property(tries = 20_000)
  void registrationsAreValidOrRejectedNamingTheField(@ForAll long seed) {
    RegisterNodeRequest request = RandomRequests.register(new Random(seed));
    NodeInfo[] accepted = new NodeInfo[1];
    boolean valid = validOrRejected(() -> accepted[0] = RequestValidator.register(request),
        REGISTER_FIELDS);
    if (valid) {
      obeysTheInputRules(request.getNode(), accepted[0]);
    }
    Statistics.collect(valid ? "accepted" : "rejected");
    // Both answers must be common, or the inputs miss the rules' edges.
    Statistics.coverage(coverage -> {
      coverage.check("accepted").percentage(p -> p >= 2);
      coverage.check("rejected").percentage(p -> p >= 2);
    });
  }

  @Property(tries = 20_000)
  void heartbeatsAndDeregistrationsAreValidOrRejectedNamingTheField(@ForAll long seed) {
    Random random = new Random(seed);
    validOrRejected(() -> {
      RequestValidator.heartbeat(RandomRequests.heartbeat(random));
      return null;
    }, NODE_ID_FIELDS);
    validOrRejected(() -> {
      RequestValidator.deregister(RandomRequests.deregister(random));
      return null;
    }, NODE_ID_FIELDS);
  }

  private static void obeysTheInputRules(NodeInfo sent, NodeInfo stored) {
    assertTrue(stored.getId().matches("[A-Za-z0-9._:-]{1,128}"), stored.getId());
    assertTrue(!stored.getAddress().isEmpty() && stored.getAddress().length() <= 253);
    assertTrue(stored.getPort() >= 1 && stored.getPort() <= 65535);
    assertTrue(stored.getType() == NodeType.NODE_TYPE_FRONTEND
        || stored.getType() == NodeType.NODE_TYPE_METADATA
        || stored.getType() == NodeType.NODE_TYPE_OBJECT);
    assertTrue(Set.of(NodeState.NODE_STATE_UNKNOWN, NodeState.NODE_STATE_JOINING,
        NodeState.NODE_STATE_ACTIVE).contains(sent.getState()), "state sent " + sent.getState());
    assertEquals(NodeState.NODE_STATE_JOINING, stored.getState());
    assertTrue(stored.getGenerationId().length() <= 64);
    assertTrue(stored.getLabelsCount() <= 64);
    for (Map.Entry<String, String> label : stored.getLabelsMap().entrySet()) {
      assertTrue(label.getKey().matches("[A-Za-z0-9._/-]{1,63}"), label.getKey());
      assertTrue(label.getValue().length() <= 256);
    }
    // Server-maintained fields sent by a client are ignored.
    assertEquals(0, stored.getLastHeartbeatAt());
    assertEquals(0, stored.getSuspectCount());
    assertEquals(0, stored.getRegisteredAt());
  }
}
