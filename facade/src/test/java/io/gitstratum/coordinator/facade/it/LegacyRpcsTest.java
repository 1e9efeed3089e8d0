package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.AddNodeRequest;
import io.gitstratum.coordinator.proto.AddNodeResponse;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetClusterStateRequest;
import io.gitstratum.coordinator.proto.GetClusterStateResponse;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RemoveNodeRequest;
import io.gitstratum.coordinator.proto.SetNodeStateRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * gitstratum's legacy RPCs (CONTRACT.md, "gitstratum's legacy RPCs") on the paths of their
 * successors: the same validation, idempotency, errors and history.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LegacyRpcsTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private static NodeInfo node(String id, NodeType type) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000).setType(type)
        .setGenerationId("g-" + id).build();
  }

  private static AddNodeRequest add(NodeInfo node) {
    return AddNodeRequest.newBuilder().setNode(node).build();
  }

  private static SetNodeStateRequest set(String id, NodeState state) {
    return SetNodeStateRequest.newBuilder().setNodeId(id).setState(state).build();
  }

  private static long version(CoordinatorServiceBlockingStub facade) {
    return facade.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getVersion();
  }

  private static void assertCode(Status.Code code, String text, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(text), e.getStatus().getDescription());
  }

  @Test
  void addNodeAndRemoveNodeAreRegisterAndDeregister() {
    CoordinatorServiceBlockingStub facade = facades.harness().stub(
        facades.harness().start(facades.cluster()));
    AddNodeResponse added = facade.addNode(add(node("obj-1", NodeType.NODE_TYPE_OBJECT)));
    assertTrue(added.getSuccess());
    assertEquals("", added.getError());
    assertEquals(1, version(facade));
    // Idempotent: the same node again changes nothing.
    assertTrue(facade.addNode(add(node("obj-1", NodeType.NODE_TYPE_OBJECT))).getSuccess());
    assertEquals(1, version(facade));
    // Failures are status codes, never success=false.
    assertCode(Status.Code.ALREADY_EXISTS, "obj-1",
        () -> facade.addNode(add(node("obj-1", NodeType.NODE_TYPE_METADATA))));
    assertCode(Status.Code.INVALID_ARGUMENT, "node.port",
        () -> facade.addNode(add(node("obj-2", NodeType.NODE_TYPE_OBJECT).toBuilder()
            .setPort(0).build())));
    assertCode(Status.Code.INVALID_ARGUMENT, "node",
        () -> facade.addNode(AddNodeRequest.getDefaultInstance()));
    facade.addNode(add(node("meta-1", NodeType.NODE_TYPE_METADATA)));
    facade.addNode(add(node("fe-1", NodeType.NODE_TYPE_FRONTEND)));

    GetClusterStateResponse state = facade.getClusterState(
        GetClusterStateRequest.getDefaultInstance());
    GetTopologyResponse topology = facade.getTopology(GetTopologyRequest.getDefaultInstance());
    assertEquals(3, state.getVersion());
    assertEquals(topology.getObjectNodesList(), state.getObjectNodesList());
    assertEquals(topology.getMetadataNodesList(), state.getMetadataNodesList());
    assertEquals(topology.getHashRingConfig(), state.getHashRingConfig());
    assertEquals(topology.getLeaderId(), state.getLeaderId());
    assertEquals(NodeState.NODE_STATE_JOINING, state.getObjectNodes(0).getState());

    assertTrue(facade.removeNode(RemoveNodeRequest.newBuilder().setNodeId("obj-1").build())
        .getSuccess());
    assertEquals(4, version(facade));
    // Removing an unknown node succeeds and changes nothing.
    assertTrue(facade.removeNode(RemoveNodeRequest.newBuilder().setNodeId("obj-1").build())
        .getSuccess());
    assertEquals(4, version(facade));
    assertCode(Status.Code.INVALID_ARGUMENT, "node_id",
        () -> facade.removeNode(RemoveNodeRequest.newBuilder().setNodeId("bad id").build()));
  }

  @Test
  void setNodeStateTakesOnlyWhatAHeartbeatOrAnOperatorCouldDo() {
    FacadeServer server = facades.harness().start(facades.cluster(),
        FacadeHarness::fastLiveness);
    CoordinatorServiceBlockingStub facade = facades.harness().stub(server);
    facade.addNode(add(node("obj-1", NodeType.NODE_TYPE_OBJECT)));
    facade.addNode(add(node("obj-2", NodeType.NODE_TYPE_OBJECT)));

    // ACTIVE and DRAINING: what the node's heartbeat reports (generation looked up).
    assertTrue(facade.setNodeState(set("obj-1", NodeState.NODE_STATE_ACTIVE)).getSuccess());
    assertEquals(NodeState.NODE_STATE_ACTIVE, state(facade, "obj-1"));
    assertTrue(facade.setNodeState(set("obj-1", NodeState.NODE_STATE_DRAINING)).getSuccess());
    assertEquals(NodeState.NODE_STATE_DRAINING, state(facade, "obj-1"));
    long before = version(facade);
    for (NodeState refused : List.of(NodeState.NODE_STATE_JOINING, NodeState.NODE_STATE_SUSPECT,
        NodeState.NODE_STATE_UNKNOWN)) {
      assertCode(Status.Code.FAILED_PRECONDITION, "Heartbeat",
          () -> facade.setNodeState(set("obj-2", refused)));
    }
    assertCode(Status.Code.FAILED_PRECONDITION, "only a SUSPECT node can be confirmed DOWN",
        () -> facade.setNodeState(set("obj-1", NodeState.NODE_STATE_DOWN)));
    assertCode(Status.Code.NOT_FOUND, "ghost",
        () -> facade.setNodeState(set("ghost", NodeState.NODE_STATE_ACTIVE)));
    assertCode(Status.Code.NOT_FOUND, "ghost",
        () -> facade.setNodeState(set("ghost", NodeState.NODE_STATE_DOWN)));
    assertCode(Status.Code.INVALID_ARGUMENT, "state",
        () -> facade.setNodeState(set("obj-2", NodeState.NODE_STATE_ACTIVE).toBuilder()
            .setStateValue(42).build()));
    assertEquals(before, version(facade), "refusals write nothing");

    // DOWN: an operator's ConfirmDown of a SUSPECT node (plaintext: everyone may).
    facade.heartbeat(HeartbeatRequest.newBuilder().setNodeId("obj-2").setGenerationId("g-obj-2")
        .setReportedState(NodeState.NODE_STATE_ACTIVE).build());
    Awaitility.await().atMost(Duration.ofSeconds(15))
        .until(() -> state(facade, "obj-2") == NodeState.NODE_STATE_SUSPECT);
    assertTrue(facade.setNodeState(set("obj-2", NodeState.NODE_STATE_DOWN)).getSuccess());
    assertEquals(NodeState.NODE_STATE_DOWN, state(facade, "obj-2"));

    List<Change> changes = CoordinatorAdminGrpc.newBlockingStub(facades.harness().channel(server))
        .getHistory(GetHistoryRequest.getDefaultInstance()).getChangesList();
    assertEquals(List.of("NODE_STATE_JOINING registered", "NODE_STATE_ACTIVE heartbeat reported",
        "NODE_STATE_DRAINING heartbeat reported"), changes.stream()
        .filter(c -> c.getNodeId().equals("obj-1")).limit(3) // then SUSPECT: nothing beats
        .map(c -> c.getState() + " " + c.getReason()).toList());
    Change down = changes.get(changes.size() - 1);
    assertEquals("obj-2", down.getNodeId());
    assertEquals(NodeState.NODE_STATE_DOWN, down.getState());
    assertEquals("confirmed down by operator", down.getReason());
  }

  private static NodeState state(CoordinatorServiceBlockingStub facade, String id) {
    return facade.getClusterState(GetClusterStateRequest.getDefaultInstance())
        .getObjectNodesList().stream().filter(n -> n.getId().equals(id)).findFirst()
        .orElseThrow().getState();
  }
}
