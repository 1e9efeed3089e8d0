package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc.CoordinatorAdminBlockingStub;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.DrainNodeRequest;
import io.gitstratum.coordinator.admin.GetDetectorStateRequest;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.PauseDetectorRequest;
import io.gitstratum.coordinator.admin.ResumeDetectorRequest;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.PerTestFacades;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.proto.AddNodeRequest;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetHashRingRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RemoveNodeRequest;
import io.gitstratum.coordinator.proto.SetNodeStateRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS on the gRPC port with node-bound authorization: a node certificate may act on its
 * own node only, operators on any, any valid certificate may read, and everything else fails
 * the handshake. Violations are PERMISSION_DENIED and write nothing.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutualTlsTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  @TempDir
  static Path dir;

  private static TestPki pki;
  private static TestPki.Issued server;
  private static TestPki.Issued node1;
  private static TestPki.Issued cnOnly;
  private static TestPki.Issued operator;
  private static TestPki.Issued nodeNamedLikeOperator;
  private static TestPki.Issued cnLikeOperator;
  private static TestPki.Issued unlistedOperator;
  private static TestPki.Issued anonymous;
  private TlsClients clients;

  @BeforeAll
  static void issue() {
    pki = TestPki.create(dir, "mtls");
    server = pki.server("server", "coordinator");
    node1 = pki.client("node1", "some-host.example", "obj-1");
    cnOnly = pki.client("cn-only", "obj-3", null);
    operator = pki.operator("operator", "ops-admin");
    nodeNamedLikeOperator = pki.client("node-ops-admin", "some-host.example", "ops-admin");
    cnLikeOperator = pki.client("cn-ops-admin", "ops-admin", null);
    unlistedOperator = pki.operator("unlisted-operator", "mallory");
    anonymous = pki.client("anonymous", null, null);
  }

  @AfterEach
  void closeClients() {
    if (clients != null) {
      clients.close();
    }
  }

  private FacadeServer start(UnaryOperator<FacadeConfig> more) {
    clients = new TlsClients(pki.caFile());
    return facades.harness().start(facades.cluster(), c -> more.apply(c.withTls(
        new TlsSettings(server.certificate(), server.key(), pki.caFile(), null,
            List.of("TLSv1.3"), Duration.ofSeconds(10), Set.of("ops-admin")))));
  }

  private CoordinatorServiceBlockingStub stub(FacadeServer facade, TestPki.Issued client) {
    return CoordinatorServiceGrpc.newBlockingStub(clients.channel(facade.port(), client))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static RegisterNodeRequest register(String id) {
    return RegisterNodeRequest.newBuilder().setNode(TestNodes.node(id)).build();
  }

  @Test
  void aNodeCertificateActsOnItsOwnNodeOnly() {
    FacadeHarness harness = facades.harness();
    FacadeServer facade = start(c -> c);
    CoordinatorServiceBlockingStub node = Settled.detectorElected(stub(facade, node1));
    node.registerNode(register("obj-1"));
    node.heartbeat(TestNodes.beat("obj-1", NodeState.NODE_STATE_ACTIVE));

    long revision = harness.etcdRevision();
    StatusRuntimeException other = assertThrows(StatusRuntimeException.class,
        () -> node.registerNode(register("obj-2")));
    ErrorDetails details = ErrorDetails.expect(other, Status.Code.PERMISSION_DENIED,
        "PERMISSION_DENIED");
    assertEquals("obj-2", details.metadata("nodeId"));
    assertEquals("node:obj-1", details.metadata("identity"));
    ErrorDetails.expect(assertThrows(StatusRuntimeException.class,
        () -> node.heartbeat(TestNodes.beat("obj-2", NodeState.NODE_STATE_ACTIVE))),
        Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    ErrorDetails.expect(assertThrows(StatusRuntimeException.class,
        () -> node.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("obj-9").build())),
        Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    assertEquals(revision, harness.etcdRevision(), "refused requests wrote nothing");

    assertEquals(1, node.getTopology(GetTopologyRequest.getDefaultInstance())
        .getObjectNodesCount(), "reads are open to any valid certificate");
    node.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("obj-1").build());
  }

  @Test
  void gitstratumsLegacyWritesAreBoundLikeTheirSuccessors() {
    FacadeHarness harness = facades.harness();
    FacadeServer facade = start(c -> c);
    CoordinatorServiceBlockingStub node = Settled.detectorElected(stub(facade, node1));
    assertTrue(node.addNode(AddNodeRequest.newBuilder().setNode(register("obj-1").getNode())
        .build()).getSuccess());
    assertTrue(node.setNodeState(SetNodeStateRequest.newBuilder().setNodeId("obj-1")
        .setState(NodeState.NODE_STATE_ACTIVE).build()).getSuccess());

    long revision = harness.etcdRevision();
    List<org.junit.jupiter.api.function.Executable> refused = List.of(
        () -> node.addNode(AddNodeRequest.newBuilder().setNode(register("obj-2").getNode())
            .build()),
        () -> node.removeNode(RemoveNodeRequest.newBuilder().setNodeId("obj-9").build()),
        () -> node.setNodeState(SetNodeStateRequest.newBuilder().setNodeId("obj-2")
            .setState(NodeState.NODE_STATE_DRAINING).build()),
        // DOWN is an operator's ConfirmDown, even for the node itself.
        () -> node.setNodeState(SetNodeStateRequest.newBuilder().setNodeId("obj-1")
            .setState(NodeState.NODE_STATE_DOWN).build()));
    for (org.junit.jupiter.api.function.Executable call : refused) {
      ErrorDetails.expect(assertThrows(StatusRuntimeException.class, call),
          Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED");
    }
    assertEquals(revision, harness.etcdRevision(), "refused requests wrote nothing");
    assertTrue(node.removeNode(RemoveNodeRequest.newBuilder().setNodeId("obj-1").build())
        .getSuccess());
  }

  @Test
  void withoutANodeUriTheCommonNameIsTheNodeId() {
    FacadeServer facade = start(c -> c);
    CoordinatorServiceBlockingStub node = stub(facade, cnOnly);
    node.registerNode(register("obj-3"));
    ErrorDetails.expect(assertThrows(StatusRuntimeException.class,
        () -> node.registerNode(register("obj-1"))), Status.Code.PERMISSION_DENIED,
        "PERMISSION_DENIED");
  }

  @Test
  void noNodeCertificateIsAnOperatorWhateverItsName() {
    FacadeServer facade = start(c -> c);
    for (TestPki.Issued certificate : List.of(nodeNamedLikeOperator, cnLikeOperator)) {
      CoordinatorServiceBlockingStub node = stub(facade, certificate);
      ErrorDetails.expect(assertThrows(StatusRuntimeException.class,
          () -> node.registerNode(register("obj-1"))), Status.Code.PERMISSION_DENIED,
          "PERMISSION_DENIED");
      node.registerNode(register("ops-admin")); // it is the node named ops-admin, nothing more
    }
  }

  @Test
  void onlyListedOperatorsMayUseTheAdminService() {
    FacadeServer facade = start(c -> c);
    stub(facade, node1).registerNode(register("obj-1"));
    for (TestPki.Issued certificate : List.of(node1, nodeNamedLikeOperator, cnLikeOperator,
        anonymous, unlistedOperator)) {
      CoordinatorAdminBlockingStub admin = admin(facade, certificate);
      List<Runnable> calls = List.of(
          () -> admin.getDetectorState(GetDetectorStateRequest.getDefaultInstance()),
          () -> admin.pauseDetector(PauseDetectorRequest.getDefaultInstance()),
          () -> admin.resumeDetector(ResumeDetectorRequest.getDefaultInstance()),
          () -> admin.confirmDown(ConfirmDownRequest.newBuilder().addNodeIds("obj-1").build()),
          () -> admin.drainNode(DrainNodeRequest.newBuilder().setNodeId("obj-1").build()),
          () -> admin.getHistory(GetHistoryRequest.getDefaultInstance()));
      for (Runnable call : calls) {
        ErrorDetails.expect(assertThrows(StatusRuntimeException.class, call::run),
            Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED");
      }
    }
    CoordinatorAdminBlockingStub ops = admin(facade, operator);
    assertTrue(ops.pauseDetector(PauseDetectorRequest.newBuilder().setReason("test").build())
        .getPaused());
    assertEquals("operator:ops-admin", ops.getDetectorState(
        GetDetectorStateRequest.getDefaultInstance()).getPausedBy());
    ops.resumeDetector(ResumeDetectorRequest.getDefaultInstance());
    ops.drainNode(DrainNodeRequest.newBuilder().setNodeId("obj-1").build());
    assertEquals("operator:ops-admin", ops.getHistory(GetHistoryRequest.newBuilder()
        .setNodeId("obj-1").build()).getChangesList().get(1).getActor());
  }

  private CoordinatorAdminBlockingStub admin(FacadeServer facade, TestPki.Issued client) {
    return CoordinatorAdminGrpc.newBlockingStub(clients.channel(facade.port(), client))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  @Test
  void operatorsMayActOnEveryNode() {
    FacadeServer facade = start(c -> c);
    CoordinatorServiceBlockingStub ops = stub(facade, operator);
    ops.registerNode(register("obj-1"));
    ops.registerNode(register("obj-2"));
    ops.heartbeat(TestNodes.beat("obj-2", NodeState.NODE_STATE_DRAINING));
    ops.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("obj-1").build());
    assertEquals(1, ops.getTopology(GetTopologyRequest.getDefaultInstance())
        .getObjectNodesCount());
  }

  @Test
  void aCertificateNamingNoIdentityMayOnlyRead() {
    FacadeServer facade = start(c -> c);
    CoordinatorServiceBlockingStub reader = stub(facade, anonymous);
    reader.getTopology(GetTopologyRequest.getDefaultInstance());
    reader.getHashRing(GetHashRingRequest.getDefaultInstance());
    ErrorDetails details = ErrorDetails.expect(assertThrows(StatusRuntimeException.class,
        () -> reader.registerNode(register("obj-1"))), Status.Code.PERMISSION_DENIED,
        "PERMISSION_DENIED");
    assertEquals("anonymous", details.metadata("identity"));
  }

  @Test
  void clientsWithoutAValidCertificateFailTheHandshake() {
    FacadeServer facade = start(c -> c);
    TestPki stranger = TestPki.create(dir, "stranger");
    TestPki.Issued foreign = stranger.client("foreign", "obj-1", "obj-1");
    for (TestPki.Issued client : new TestPki.Issued[] {null, foreign}) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub(facade, client).getTopology(GetTopologyRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    }
    ManagedChannel plaintext = ManagedChannelBuilder.forAddress("127.0.0.1", facade.port())
        .usePlaintext().build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> CoordinatorServiceGrpc.newBlockingStub(plaintext)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getTopology(GetTopologyRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    } finally {
      plaintext.shutdownNow();
    }
  }

  @Test
  void tls13ByDefaultAndTls12Refused() {
    FacadeServer facade = start(c -> c);
    assertEquals("TLSv1.3", clients.handshake(facade.port(), node1).protocol());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> CoordinatorServiceGrpc.newBlockingStub(clients.channel(facade.port(), node1,
            "TLSv1.2")).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getTopology(GetTopologyRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }

  @Test
  void rateLimitsCountPerCertificateNotPerAddress() {
    FacadeServer facade = start(c -> c.withLimits(
        new LimitSettings(0, 0, 3, 0, 0, 0, 0, 100, 1 << 20)));
    CoordinatorServiceBlockingStub node = stub(facade, node1);
    CoordinatorServiceBlockingStub ops = stub(facade, operator);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
      for (int i = 0; i < 100; i++) {
        node.getTopology(GetTopologyRequest.getDefaultInstance());
      }
    });
    ErrorDetails.expect(e, Status.Code.RESOURCE_EXHAUSTED, "RATE_LIMITED");
    ops.getTopology(GetTopologyRequest.getDefaultInstance()); // same address, other identity
  }
}
