package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.KeyValue;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetHashRingRequest;
import io.gitstratum.coordinator.proto.GetHashRingResponse;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CONTRACT.md guarantees 1-3 and 6 and the error table, on a real facade over real etcd. */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContractGuaranteesTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private FacadeHarness harness;
  private String cluster;
  private CoordinatorServiceBlockingStub facade;

  @BeforeEach
  void bind() {
    harness = facades.harness();
    cluster = facades.cluster();
    facade = harness.stub(harness.start(cluster));
  }

  static NodeInfo object(String id, String generation) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(generation).putLabels("zone", "a")
        .build();
  }

  private RegisterNodeResponse register(NodeInfo node) {
    return facade.registerNode(RegisterNodeRequest.newBuilder().setNode(node).build());
  }

  private GetTopologyResponse topology() {
    return facade.getTopology(GetTopologyRequest.getDefaultInstance());
  }

  @Test
  void everyChangeAddsExactlyOneAndEventsRecordIt() {
    assertEquals(0, topology().getVersion());
    assertEquals(1, register(object("o1", "g1")).getTopologyVersion());
    assertEquals(2, register(object("o2", "g1")).getTopologyVersion());
    assertEquals(3, facade.deregisterNode(
        DeregisterNodeRequest.newBuilder().setNodeId("o1").build()).getTopologyVersion());

    Keyspace keys = FacadeHarness.keys(cluster);
    List<KeyValue> events = harness.etcdPrefix(keys.eventsPrefix());
    assertEquals(3, events.size());
    TopologyUpdate first = decode(events.get(0));
    assertEquals(1, first.getVersion());
    assertEquals(0, first.getPreviousVersion());
    assertEquals("o1", first.getNodeAdded().getId());
    assertEquals(NodeState.NODE_STATE_JOINING, first.getNodeAdded().getState());
    assertEquals("o2", decode(events.get(1)).getNodeAdded().getId());
    TopologyUpdate third = decode(events.get(2));
    assertEquals(3, third.getVersion());
    assertEquals("o1", third.getNodeRemoved());

    // Replaying the events gives what GetTopology serves (the ring config is written at
    // bootstrap, before any event).
    GetTopologyResponse served = topology();
    Topology replayed = Topology.empty().draft().ringConfig(served.getHashRingConfig()).build();
    for (KeyValue kv : events) {
      replayed = replayed.apply(decode(kv));
    }
    assertEquals(replayed.toResponse().setLeaderId(served.getLeaderId()).build(), served);
    assertEquals("3", harness.etcdPrefix(keys.version()).get(0).getValue().toString());
  }

  @Test
  void sameRegistrationTwiceIsIdempotent() {
    RegisterNodeResponse first = register(object("o1", "g1"));
    long revision = harness.etcdRevision();
    RegisterNodeResponse again = register(object("o1", "g1"));
    assertFalse(first.getAlreadyRegistered());
    assertTrue(again.getAlreadyRegistered());
    assertEquals(first.getTopologyVersion(), again.getTopologyVersion());
    assertEquals(revision, harness.etcdRevision(), "an idempotent registration writes nothing");
  }

  @Test
  void serverMaintainedFieldsFromClientsAreIgnored() {
    register(object("o1", "g1").toBuilder().setSuspectCount(9).setRegisteredAt(5)
        .setLastHeartbeatAt(6).setState(NodeState.NODE_STATE_ACTIVE).build());
    NodeInfo stored = topology().getObjectNodes(0);
    assertEquals(0, stored.getSuspectCount());
    assertTrue(stored.getRegisteredAt() > 1_600_000_000_000L);
    assertEquals(NodeState.NODE_STATE_JOINING, stored.getState());
  }

  @Test
  void sameGenerationWithNewAddressIsAnUpdate() {
    register(object("o1", "g1"));
    RegisterNodeResponse moved = register(object("o1", "g1").toBuilder().setPort(7001).build());
    assertTrue(moved.getAlreadyRegistered());
    assertEquals(2, moved.getTopologyVersion());
    assertEquals(7001, topology().getObjectNodes(0).getPort());
    TopologyUpdate event = decode(harness.etcdPrefix(
        FacadeHarness.keys(cluster).event(2)).get(0));
    assertEquals(7001, event.getNodeUpdated().getPort());
  }

  @Test
  void newGenerationReplacesTheRecordAsJoining() {
    register(object("o1", "g1"));
    RegisterNodeResponse restarted = register(object("o1", "g2"));
    assertTrue(restarted.getAlreadyRegistered());
    assertEquals(2, restarted.getTopologyVersion());
    NodeInfo stored = topology().getObjectNodes(0);
    assertEquals("g2", stored.getGenerationId());
    assertEquals(NodeState.NODE_STATE_JOINING, stored.getState());
  }

  @Test
  void sameIdWithAnotherTypeIsAlreadyExists() {
    register(object("n1", "g1"));
    long revision = harness.etcdRevision();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> register(
        object("n1", "g1").toBuilder().setType(NodeType.NODE_TYPE_FRONTEND).build()));
    assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
    assertEquals(revision, harness.etcdRevision());
  }

  @Test
  void deregisteringAnUnknownNodeSucceedsWithTheCurrentVersion() {
    register(object("o1", "g1"));
    long revision = harness.etcdRevision();
    assertEquals(1, facade.deregisterNode(
        DeregisterNodeRequest.newBuilder().setNodeId("ghost").build()).getTopologyVersion());
    assertEquals(revision, harness.etcdRevision());
  }

  @Test
  void deregisterWithAnotherGenerationIsFailedPrecondition() {
    register(object("o1", "g2"));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> facade.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("o1")
            .setGenerationId("g1").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals(1, topology().getObjectNodesCount());
  }

  @Test
  void minVersionAnswersUnchangedWithoutNodes() {
    register(object("o1", "g1"));
    register(object("o2", "g1"));
    GetTopologyResponse same = facade.getTopology(
        GetTopologyRequest.newBuilder().setMinVersion(2).build());
    assertTrue(same.getUnchanged());
    assertEquals(2, same.getVersion());
    assertEquals(0, same.getObjectNodesCount());
    GetTopologyResponse newer = facade.getTopology(
        GetTopologyRequest.newBuilder().setMinVersion(1).build());
    assertFalse(newer.getUnchanged());
    assertEquals(2, newer.getObjectNodesCount());
  }

  @Test
  void linearizableReadsSeeWritesMadeThroughAnotherReplica() {
    CoordinatorServiceBlockingStub other = harness.stub(harness.start(cluster));
    for (int i = 1; i <= 20; i++) {
      long version = register(object("o" + i, "g")).getTopologyVersion();
      GetTopologyResponse read = other.getTopology(
          GetTopologyRequest.newBuilder().setLinearizable(true).build());
      assertEquals(version, read.getVersion());
      assertEquals(i, read.getObjectNodesCount());
    }
  }

  @Test
  void nodesAreGroupedByTypeAndSortedById() {
    register(object("o2", "g"));
    register(object("o1", "g"));
    register(object("m1", "g").toBuilder().setType(NodeType.NODE_TYPE_METADATA).build());
    register(object("f1", "g").toBuilder().setType(NodeType.NODE_TYPE_FRONTEND).build());
    GetTopologyResponse t = topology();
    assertEquals(List.of("o1", "o2"), t.getObjectNodesList().stream().map(NodeInfo::getId).toList());
    assertEquals("m1", t.getMetadataNodes(0).getId());
    assertEquals("f1", t.getFrontendNodes(0).getId());
    assertEquals(16, t.getHashRingConfig().getVirtualNodesPerPhysical());
    assertEquals(3, t.getHashRingConfig().getReplicationFactor());
  }

  @Test
  void hashRingHasEveryObjectNodesPointsWhateverItsState() {
    // As gitstratum's get_ring_entries: a JOINING node is a member (it just cannot serve yet).
    register(object("o1", "g"));
    GetHashRingResponse ring = facade.getHashRing(GetHashRingRequest.getDefaultInstance());
    assertEquals(16, ring.getEntriesCount());
    assertEquals(1, ring.getVersion());
    assertEquals(3, ring.getReplicationFactor());
    ConsistentHashRing expected = ConsistentHashRing.fromNodes(
        List.of(object("o1", "g").toBuilder().setState(NodeState.NODE_STATE_JOINING).build()),
        topology().getHashRingConfig());
    assertEquals(expected.toEntries(), ring.getEntriesList());
    assertEquals(0, expected.servingCount());
  }

  @Test
  void leaderAndHealthDescribeThisReplica() {
    register(object("o1", "g"));
    // The replica campaigns in the background; on a busy machine it may win after the first write.
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(
        () -> facade.getLeader(GetLeaderRequest.getDefaultInstance()).getIsLeader());
    HealthCheckResponse health = facade.healthCheck(HealthCheckRequest.getDefaultInstance());
    assertTrue(health.getHealthy());
    assertEquals(1, health.getTopologyVersion());
    assertTrue(health.getCommittedIndex() > 0);
    assertTrue(health.getRaftTerm() > 0);
  }

  @Test
  void schemaMarkerIsWrittenOnAnEmptyPrefix() {
    List<KeyValue> marker = harness.etcdPrefix(FacadeHarness.keys(cluster).schema());
    assertEquals(1, marker.size());
    assertEquals(1, RecordCodec.decodeSchema("k", marker.get(0).getValue().getBytes())
        .getSchemaVersion());
  }

  private static TopologyUpdate decode(KeyValue kv) {
    return RecordCodec.decodeUpdate(kv.getKey().toString(), kv.getValue().getBytes());
  }

}
