package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.maintenance.StatusResponse;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Losing etcd's raft leader while nodes heartbeat must not make any node SUSPECT; losing the
 * quorum must make a replica say it does not follow etcd, whichever member its watch runs through.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdLeaderLossTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.threeMembers();

  @Test
  void stoppingTheEtcdLeaderSuspectsNoNode(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer facade = harness.start(cluster, FacadeHarness::fastLiveness);
      CoordinatorServiceBlockingStub stub = harness.stub(facade);
      WatchRecorder watcher = WatchRecorder.watch(harness.channel(facade), 0);
      try (Heartbeater beats = new Heartbeater(List.of(stub))) {
        for (int i = 0; i < 5; i++) {
          stub.registerNode(RegisterNodeRequest.newBuilder().setNode(LivenessTest.node("n" + i))
              .build());
          beats.start("n" + i, "g-n" + i, 500);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stub.getTopology(
            GetTopologyRequest.getDefaultInstance()).getObjectNodesList().stream()
            .filter(n -> n.getState() == NodeState.NODE_STATE_ACTIVE).count() == 5);

        int leader = etcdLeader(harness);
        etcd.cluster().stopMember(leader);
        // Three suspect timeouts with the old leader gone, heartbeats running through the
        // failover: no node is suspected at any point.
        Awaitility.await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> watcher.received().stream().filter(TopologyUpdate::hasNodeUpdated)
                .noneMatch(u -> u.getNodeUpdated().getState() == NodeState.NODE_STATE_SUSPECT));
        etcd.cluster().restartMember(leader);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stub.getTopology(
            GetTopologyRequest.newBuilder().setLinearizable(true).build()).getVersion() >= 10);
      }
      assertTrue(watcher.received().stream().filter(TopologyUpdate::hasNodeUpdated)
          .noneMatch(u -> u.getNodeUpdated().getState() == NodeState.NODE_STATE_SUSPECT),
          "no node was suspected: " + watcher.received());
      assertEquals(5, stub.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true)
          .build()).getObjectNodesList().stream()
          .filter(n -> n.getState() == NodeState.NODE_STATE_ACTIVE).count());
    }
  }

  /**
   * The member left over from a lost quorum keeps a watch open and answers its progress requests
   * from its own state: without asking etcd for a leader, the cache looked in sync (HealthCheck
   * healthy, /readyz 200) while every write and linearizable read failed (found by
   * deploy/failover-check.sh). The replica here talks to that member only.
   */
  @Test
  void aReplicaOnAMemberWithoutQuorumSaysItDoesNotFollowEtcd(TestInfo test) throws Exception {
    try (FacadeHarness harness = new FacadeHarness(List.of(etcd.endpoints().get(0)))) {
      FacadeServer facade = harness.start(FacadeHarness.clusterFor(test));
      CoordinatorServiceBlockingStub stub = harness.stub(facade);
      assertTrue(stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
      etcd.cluster().stopMember(1);
      etcd.cluster().stopMember(2);
      long lost = System.nanoTime();
      try {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
            .until(() -> !stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
        System.out.printf("quorum lost: HealthCheck unhealthy after %.1f s%n",
            (System.nanoTime() - lost) / 1e9);
      } finally {
        etcd.cluster().restartMember(1);
        etcd.cluster().restartMember(2);
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
      assertEquals(0, stub.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true)
          .build()).getVersion(), "serves linearizable reads again, without a restart");
    }
  }

  private static int etcdLeader(FacadeHarness harness) throws Exception {
    List<String> endpoints = etcd.endpoints();
    for (int i = 0; i < endpoints.size(); i++) {
      StatusResponse status = harness.etcd().getMaintenanceClient()
          .statusMember(endpoints.get(i)).get(5, TimeUnit.SECONDS);
      if (status.getLeader() == status.getHeader().getMemberId()) {
        return i;
      }
    }
    throw new AssertionError("no etcd member reports itself leader");
  }
}
