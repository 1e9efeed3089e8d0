package io.gitstratum.coordinator.facade.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.EtcdMember;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One of three etcd members stopped: the cluster keeps quorum and the replica serves as before,
 * so only the background member check sees it, and HealthCheck, the metrics and the status data
 * name the member; once it is back, all three answer again.
 */
@Tag("etcd")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdMembersVisibleTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.threeMembers();

  @Test
  void aStoppedMemberIsNamedEverywhereAndItsReturnToo(TestInfo test) throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer facade = harness.start(FacadeHarness.clusterFor(test));
      CoordinatorServiceBlockingStub stub = harness.stub(facade);
      HealthCheckResponse all = Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> health(stub), h -> answering(h) == 3);
      assertEquals(3, all.getEtcdMembersCount());
      assertTrue(all.getEtcdMembersCheckedAt() > 0);
      String metrics = OpsEndpointsTest.get(facade, "/metrics").body();
      assertTrue(metrics.contains("gitstratum_coordinator_etcd_members 3.0"), metrics);
      assertTrue(metrics.contains("gitstratum_coordinator_etcd_members_answering 3.0"), metrics);

      String stopped = etcd.cluster().member(2).name();
      String endpoint = etcd.cluster().member(2).clientEndpoint();
      etcd.cluster().stopMember(2);
      HealthCheckResponse degraded = Awaitility.await().atMost(Duration.ofSeconds(15))
          .until(() -> health(stub), h -> answering(h) == 2);
      assertTrue(degraded.getHealthy(), "quorum kept: the replica still serves");
      EtcdMember down = degraded.getEtcdMembersList().stream().filter(m -> !m.getAnswers())
          .findFirst().orElseThrow();
      assertEquals(stopped, down.getName());
      assertEquals(endpoint, down.getEndpoint());
      assertTrue(!down.getProblem().isEmpty(), "says why");
      String downMetrics = OpsEndpointsTest.get(facade, "/metrics").body();
      assertTrue(downMetrics.contains("gitstratum_coordinator_etcd_members_answering 2.0"),
          downMetrics);
      assertTrue(downMetrics.contains("gitstratum_coordinator_etcd_member_up{member=\"" + stopped
          + "\"} 0.0"), downMetrics);
      String status = OpsEndpointsTest.get(facade, "/status.json").body();
      assertTrue(status.contains("{\"name\":\"" + stopped + "\",\"endpoint\":\"" + endpoint
          + "\",\"answers\":false"), status);

      etcd.cluster().restartMember(2);
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> answering(health(stub)) == 3);
      assertTrue(OpsEndpointsTest.get(facade, "/metrics").body().contains(
          "gitstratum_coordinator_etcd_member_up{member=\"" + stopped + "\"} 1.0"));
    }
  }

  private static HealthCheckResponse health(CoordinatorServiceBlockingStub stub) {
    return stub.healthCheck(HealthCheckRequest.getDefaultInstance());
  }

  private static long answering(HealthCheckResponse health) {
    return health.getEtcdMembersList().stream().filter(EtcdMember::getAnswers).count();
  }
}
