package io.gitstratum.coordinator.facade.clientit;

import static io.gitstratum.coordinator.facade.clientit.ClientFailoverTest.endpoint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.ring.RingHashing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.GetHashRingResponse;
import io.gitstratum.coordinator.proto.HashRingEntry;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The watcher's in-memory ring is the facade's: same points as GetHashRing at the same version,
 * and the same replicas as a walk over GetHashRing's points (the ring's own placement vectors
 * are pinned by the client's RingVectorsTest).
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RingAgreementTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void localPlacementEqualsGetHashRing(TestInfo test) throws InterruptedException {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      // Default liveness (30 s): nothing here heartbeats after its one state change.
      FacadeServer replica = harness.start(FacadeHarness.clusterFor(test));
      try (CoordinatorClient client = CoordinatorClient.builder(List.of(endpoint(replica)))
              .build();
          TopologyWatcher watcher = TopologyWatcher.builder(client).start()) {
        assertTrue(watcher.awaitSynced(WAIT));
        for (int i = 0; i < 7; i++) {
          register(client, "obj-" + i, NodeType.NODE_TYPE_OBJECT, "zone-" + (i % 3));
          beat(client, "obj-" + i, i == 5 ? NodeState.NODE_STATE_DRAINING
              : NodeState.NODE_STATE_ACTIVE);
        }
        register(client, "obj-joining", NodeType.NODE_TYPE_OBJECT, "zone-0");
        register(client, "meta-0", NodeType.NODE_TYPE_METADATA, "zone-0");
        beat(client, "meta-0", NodeState.NODE_STATE_ACTIVE);
        // obj-joining is a member (its points are in GetHashRing) that cannot serve yet.
        assertSameRing(client, watcher, 8);

        client.deregisterNode("obj-2", "g-obj-2");
        assertSameRing(client, watcher, 7);
      }
    }
  }

  private static void assertSameRing(CoordinatorClient client, TopologyWatcher watcher,
      int members) {
    GetHashRingResponse ring = client.getHashRing();
    Awaitility.await().atMost(WAIT).until(() -> watcher.version() >= ring.getVersion());
    assertEquals(ring.getVersion(), watcher.version(), "no write in between");
    assertEquals(members, watcher.ring().memberCount());
    assertEquals(ring.getEntriesList(), watcher.ring().toEntries());
    assertEquals(ring.getReplicationFactor(), watcher.ring().replicationFactor());
    for (int k = 0; k < 500; k++) {
      String key = "repo-" + k + "/objects/pack";
      long position = RingHashing.keyPosition(key.getBytes(StandardCharsets.UTF_8));
      assertEquals(walk(ring, watcher.topology(), position), watcher.replicasFor(key), key);
    }
  }

  /**
   * Placement restated over GetHashRing's points and the topology of the same version: the first
   * distinct nodes from the key on that are ACTIVE or DRAINING.
   */
  private static List<String> walk(GetHashRingResponse ring, Topology topology, long position) {
    List<HashRingEntry> points = ring.getEntriesList();
    int start = 0;
    while (start < points.size()
        && Long.compareUnsigned(points.get(start).getPosition(), position) < 0) {
      start++;
    }
    Set<String> chosen = new LinkedHashSet<>();
    for (int i = 0; i < points.size() && chosen.size() < ring.getReplicationFactor(); i++) {
      String id = points.get((start + i) % points.size()).getNodeId();
      NodeState state = topology.node(id).orElseThrow().getState();
      if (state == NodeState.NODE_STATE_ACTIVE || state == NodeState.NODE_STATE_DRAINING) {
        chosen.add(id);
      }
    }
    return new ArrayList<>(chosen);
  }

  private static void register(CoordinatorClient client, String id, NodeType type,
      String zone) {
    client.registerNode(NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(type).setGenerationId("g-" + id).putLabels("zone", zone).build());
  }

  private static void beat(CoordinatorClient client, String id, NodeState state) {
    client.heartbeat(HeartbeatRequest.newBuilder().setNodeId(id).setGenerationId("g-" + id)
        .setReportedState(state).build());
  }
}
