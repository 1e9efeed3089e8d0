package io.gitstratum.coordinator.facade.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gitstratum.coordinator.facade.errors.InvalidArgumentException;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestValidatorTest {
  private static NodeInfo.Builder node() {
    return NodeInfo.newBuilder().setId("obj-1").setAddress("10.1.2.3").setPort(1)
        .setType(NodeType.NODE_TYPE_METADATA);
  }

  private static NodeInfo register(NodeInfo.Builder node) {
    return RequestValidator.register(RegisterNodeRequest.newBuilder().setNode(node).build());
  }

  private static String rejectedField(NodeInfo.Builder node) {
    return assertThrows(InvalidArgumentException.class, () -> register(node)).field();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "obj-1", "A.b_c:d-9", "x"})
  void acceptsLegalIds(String id) {
    assertEquals(id, register(node().setId(id)).getId());
  }

  @Test
  void idLengthBoundary() {
    assertEquals(128, register(node().setId("a".repeat(128))).getId().length());
    assertEquals("node.id", rejectedField(node().setId("a".repeat(129))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a b", "a/b", "é", "a\n"})
  void rejectsIllegalIds(String id) {
    assertEquals("node.id", rejectedField(node().setId(id)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "obj-1.svc.cluster.local", "10.0.0.1", "::1", "[::1]",
      "fe80::1", "example.com.", "a"})
  void acceptsHostNamesAndIpLiterals(String address) {
    assertEquals(address, register(node().setAddress(address)).getAddress());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-bad.example", "bad-.example", "a..b", "under_score.net",
      "host:80", "http://x", "[::1"})
  void rejectsOtherAddresses(String address) {
    assertEquals("node.address", rejectedField(node().setAddress(address)));
  }

  @Test
  void addressLengthBoundary() {
    String label = "a".repeat(50);
    String long253 = String.join(".", label, label, label, label, "a".repeat(49));
    assertEquals(253, long253.length());
    assertEquals(long253, register(node().setAddress(long253)).getAddress());
    assertEquals("node.address", rejectedField(node().setAddress(long253 + "a")));
  }

  @Test
  void portBoundaries() {
    assertEquals(65535, register(node().setPort(65535)).getPort());
    assertEquals("node.port", rejectedField(node().setPort(0)));
    assertEquals("node.port", rejectedField(node().setPort(65536)));
  }

  @ParameterizedTest
  @EnumSource(value = NodeState.class, names = {"NODE_STATE_UNKNOWN", "NODE_STATE_JOINING",
      "NODE_STATE_ACTIVE"})
  void registrationStatesAreStoredAsJoining(NodeState state) {
    assertEquals(NodeState.NODE_STATE_JOINING, register(node().setState(state)).getState());
  }

  @ParameterizedTest
  @EnumSource(value = NodeState.class, names = {"NODE_STATE_DRAINING", "NODE_STATE_DOWN",
      "NODE_STATE_SUSPECT"})
  void otherRegistrationStatesAreRejected(NodeState state) {
    assertEquals("node.state", rejectedField(node().setState(state)));
  }

  @Test
  void labelLimits() {
    NodeInfo.Builder many = node();
    for (int i = 0; i < 64; i++) {
      many.putLabels("k" + i, "v".repeat(256));
    }
    assertEquals(64, register(many).getLabelsCount());
    assertEquals("node.labels", rejectedField(many.putLabels("one-more", "")));
    assertEquals("node.labels", rejectedField(node().putLabels("k".repeat(64), "v")));
    assertEquals("node.labels", rejectedField(node().putLabels("", "v")));
    assertEquals("node.labels", rejectedField(node().putLabels("zone", "v".repeat(257))));
    assertEquals(1, register(node().putLabels("topology.kubernetes.io/zone", "")).getLabelsCount());
  }

  @Test
  void serverFieldsAreCleared() {
    NodeInfo stored = register(node().setSuspectCount(3).setRegisteredAt(1).setLastHeartbeatAt(2));
    assertEquals(0, stored.getSuspectCount());
    assertEquals(0, stored.getRegisteredAt());
    assertEquals(0, stored.getLastHeartbeatAt());
  }

  @Test
  void generationLength() {
    assertEquals(64, register(node().setGenerationId("g".repeat(64))).getGenerationId().length());
    assertEquals("node.generation_id", rejectedField(node().setGenerationId("g".repeat(65))));
  }

  @ParameterizedTest
  @EnumSource(value = NodeState.class, names = {"NODE_STATE_SUSPECT", "NODE_STATE_DOWN"})
  void heartbeatsCannotReportDetectorStates(NodeState state) {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> RequestValidator.heartbeat(HeartbeatRequest.newBuilder().setNodeId("n")
            .setReportedState(state).build()));
    assertEquals("reported_state", e.field());
  }
}
