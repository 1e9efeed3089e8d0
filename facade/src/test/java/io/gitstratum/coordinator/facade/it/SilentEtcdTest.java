package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.security.ErrorDetails;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
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
 * etcd gone silent (answers nothing, connections left open: a frozen or partitioned member) as
 * an operator's tools see it (issue 16, item 9): a linearizable read answers UNAVAILABLE with
 * ETCD_UNAVAILABLE within one etcd timeout, inside a client's 5 s deadline, so the client can
 * tell "the coordinator cannot reach etcd" from "the coordinator is gone"; and HealthCheck turns
 * unhealthy once the watch is known to be silent, so a plain read can be flagged as stale.
 */
@Tag("etcd")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SilentEtcdTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void aSilentEtcdIsReportedAsSuchWithinTheDeadlines() throws Exception {
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      FacadeServer facade = harness.start("silent");
      var stub = CoordinatorServiceGrpc.newBlockingStub(harness.channel(facade));
      assertTrue(stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
      proxy.blackHole();
      long asked = System.nanoTime();
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).getTopology(
              GetTopologyRequest.newBuilder().setLinearizable(true).build()));
      long tookMs = (System.nanoTime() - asked) / 1_000_000;
      ErrorDetails.expect(refused, Status.Code.UNAVAILABLE, "ETCD_UNAVAILABLE");
      long silent = System.nanoTime();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(
          () -> !stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
      System.out.printf("silent etcd: linearizable read refused in %d ms; HealthCheck unhealthy "
          + "%.1f s after it%n", tookMs, (System.nanoTime() - silent) / 1e9);
      proxy.pass();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(
          () -> stub.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
      assertEquals(0, stub.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true)
          .build()).getVersion());
    }
  }
}
