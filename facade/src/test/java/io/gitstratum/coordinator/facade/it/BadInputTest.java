package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each class of bad input: INVALID_ARGUMENT naming the field, nothing written, still serving. */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static FacadeHarness harness;
  private static CoordinatorServiceBlockingStub facade;

  @BeforeAll
  static void start() {
    harness = new FacadeHarness(etcd.endpoints());
    facade = harness.stub(harness.start("bad-input"));
    facade.registerNode(RegisterNodeRequest.newBuilder().setNode(valid()).build());
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static NodeInfo valid() {
    return NodeInfo.newBuilder().setId("obj-1").setAddress("obj-1.example.net").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g1").build();
  }

  static Stream<Arguments> badNodes() {
    return Stream.of(
        bad("empty id", "node.id", n -> n.setId("")),
        bad("overlong id", "node.id", n -> n.setId("a".repeat(129))),
        bad("illegal id", "node.id", n -> n.setId("obj/1")),
        bad("empty address", "node.address", n -> n.setAddress("")),
        bad("overlong address", "node.address", n -> n.setAddress("a".repeat(254))),
        bad("illegal address", "node.address", n -> n.setAddress("not a host")),
        bad("port 0", "node.port", n -> n.setPort(0)),
        bad("port 65536", "node.port", n -> n.setPort(65536)),
        bad("unknown type", "node.type", n -> n.setType(NodeType.NODE_TYPE_UNKNOWN)),
        bad("state DOWN", "node.state", n -> n.setState(NodeState.NODE_STATE_DOWN)),
        bad("state DRAINING", "node.state", n -> n.setState(NodeState.NODE_STATE_DRAINING)),
        bad("too many labels", "node.labels", n -> {
          IntStream.range(0, 65).forEach(i -> n.putLabels("k" + i, "v"));
          return n;
        }),
        bad("illegal label key", "node.labels", n -> n.putLabels("bad key", "v")),
        bad("oversize label value", "node.labels", n -> n.putLabels("zone", "v".repeat(257))),
        bad("overlong generation", "node.generation_id", n -> n.setGenerationId("g".repeat(65))));
  }

  static Arguments bad(String name, String field, UnaryOperator<NodeInfo.Builder> change) {
    return Arguments.of(name, field, change.apply(valid().toBuilder().setId("obj-2")).build());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badNodes")
  void registrationIsRejectedNamingTheField(String name, String field, NodeInfo node) {
    long revision = harness.etcdRevision();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.registerNode(RegisterNodeRequest.newBuilder().setNode(node).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith(field + ":"),
        e.getStatus().getDescription());
    assertEquals(revision, harness.etcdRevision(), "a rejected request writes nothing");
    assertEquals(1, facade.getTopology(GetTopologyRequest.getDefaultInstance())
        .getObjectNodesCount(), "the facade keeps serving");
  }

  @Test
  void missingNodeIsRejected() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.registerNode(RegisterNodeRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("node:"));
  }

  @Test
  void deregisterWithIllegalIdIsRejected() {
    long revision = harness.etcdRevision();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("node_id:"));
    assertEquals(revision, harness.etcdRevision());
  }
}
