package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceStub;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica whose lease renewals back up (etcd answers 400 ms late, behind a proxy) refuses the
 * excess heartbeats at once with REPLICA_OVERLOADED and a retry delay, sends nothing to etcd for
 * them, and still answers every heartbeat it accepted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OverloadSheddingTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int NODES = 200;
  private static final Duration ETCD_DELAY = Duration.ofMillis(400);

  private record Answer(long nanos, Throwable error) {}

  @Test
  void heartbeatsPastTheBacklogAreRefusedEarlyAndCostNoRenewal(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      FacadeServer facade = harness.start(cluster, config -> config.toBuilder()
          .heartbeatShedAfter(Duration.ofMillis(50)).build());
      CoordinatorServiceBlockingStub blocking = harness.stub(facade);
      for (int i = 0; i < NODES; i++) {
        blocking.registerNode(
            RegisterNodeRequest.newBuilder().setNode(TestNodes.node("n" + i)).build());
        blocking.heartbeat(TestNodes.beat("n" + i, NodeState.NODE_STATE_ACTIVE)); // -> ACTIVE
      }
      long renewalsBefore = keepAlivesSent(facade);
      long shedBefore = counter(facade, "gitstratum_coordinator_heartbeats_shed_total");

      proxy.delayResponses(ETCD_DELAY);
      // 2,000 heartbeats over about three seconds: renewals keep waiting 400 ms, a standing
      // queue from about 0.9 s on (the first answer, then 10 x 50 ms).
      CoordinatorServiceStub stub = CoordinatorServiceGrpc.newStub(harness.channel(facade));
      Queue<Answer> answers = new ConcurrentLinkedQueue<>();
      CountDownLatch done = new CountDownLatch(10 * NODES);
      for (int round = 0; round < 10; round++) {
        for (int i = 0; i < NODES; i++) {
          long start = System.nanoTime();
          stub.withDeadlineAfter(20, TimeUnit.SECONDS).heartbeat(
              TestNodes.beat("n" + i, NodeState.NODE_STATE_ACTIVE), new StreamObserver<>() {
                @Override
                public void onNext(HeartbeatResponse value) {}

                @Override
                public void onError(Throwable t) {
                  answers.add(new Answer(System.nanoTime() - start, t));
                  done.countDown();
                }

                @Override
                public void onCompleted() {
                  answers.add(new Answer(System.nanoTime() - start, null));
                  done.countDown();
                }
              });
          if (i % 40 == 0) {
            Thread.sleep(60);
          }
        }
      }
      assertTrue(done.await(40, TimeUnit.SECONDS), "every heartbeat answered");
      proxy.pass();

      long accepted = answers.stream().filter(a -> a.error() == null).count();
      List<Answer> refused = answers.stream().filter(a -> a.error() != null).toList();
      System.out.printf("%d heartbeats accepted, %d refused (slowest refusal %d ms)%n", accepted,
          refused.size(), refused.stream().mapToLong(Answer::nanos).max().orElse(0) / 1_000_000);
      assertTrue(refused.size() > NODES, "refused only " + refused.size());
      assertTrue(accepted >= 4 * 16, "accepted only " + accepted + ": each stream's backlog");
      for (Answer answer : refused) {
        ErrorDetails details = ErrorDetails.expect((StatusRuntimeException) answer.error(),
            Status.Code.UNAVAILABLE, "REPLICA_OVERLOADED");
        assertEquals(Duration.ofSeconds(1), details.retryDelay().orElseThrow());
        assertTrue(Long.parseLong(details.metadata("waitedMs")) >= 50);
        assertTrue(answer.nanos() < ETCD_DELAY.toNanos(), "refused after "
            + answer.nanos() / 1_000_000 + " ms: not before etcd could have answered");
      }
      assertEquals(refused.size(),
          counter(facade, "gitstratum_coordinator_heartbeats_shed_total") - shedBefore);
      long renewals = keepAlivesSent(facade) - renewalsBefore;
      // The replica's own session renewals (every few hundred ms here) come on top.
      assertTrue(renewals >= accepted && renewals <= accepted + 20,
          renewals + " lease renewals for " + accepted + " accepted heartbeats");
    }
  }

  @Test
  void aBurstThatDrainsRefusesNothing(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      FacadeServer facade = harness.start(cluster, config -> config.toBuilder()
          .heartbeatShedAfter(Duration.ofMillis(50)).build());
      CoordinatorServiceBlockingStub blocking = harness.stub(facade);
      for (int i = 0; i < NODES; i++) {
        blocking.registerNode(
            RegisterNodeRequest.newBuilder().setNode(TestNodes.node("n" + i)).build());
        blocking.heartbeat(TestNodes.beat("n" + i, NodeState.NODE_STATE_ACTIVE));
      }
      // Every node at once while etcd answers 200 ms late: the renewals queue up for a moment
      // (a GC pause or a hiccup looks the same), then drain; that is no overload.
      proxy.delayResponses(Duration.ofMillis(200));
      CoordinatorServiceStub stub = CoordinatorServiceGrpc.newStub(harness.channel(facade));
      Queue<Answer> answers = new ConcurrentLinkedQueue<>();
      CountDownLatch done = new CountDownLatch(NODES);
      for (int i = 0; i < NODES; i++) {
        long start = System.nanoTime();
        stub.withDeadlineAfter(20, TimeUnit.SECONDS).heartbeat(
            TestNodes.beat("n" + i, NodeState.NODE_STATE_ACTIVE), new StreamObserver<>() {
              @Override
              public void onNext(HeartbeatResponse value) {}

              @Override
              public void onError(Throwable t) {
                answers.add(new Answer(System.nanoTime() - start, t));
                done.countDown();
              }

              @Override
              public void onCompleted() {
                answers.add(new Answer(System.nanoTime() - start, null));
                done.countDown();
              }
            });
        if (i % 10 == 0) {
          Thread.sleep(8); // over about 160 ms: the queue's oldest waits past 50 ms meanwhile
        }
      }
      assertTrue(done.await(20, TimeUnit.SECONDS), "every heartbeat answered");
      proxy.pass();
      List<Answer> refused = answers.stream().filter(a -> a.error() != null).toList();
      assertEquals(0, refused.size(), () -> refused.size() + " heartbeats failed, the first with "
          + refused.get(0).error());
    }
  }

  private static long keepAlivesSent(FacadeServer facade) throws Exception {
    return counter(facade, "gitstratum_coordinator_etcd_request_duration_seconds_count"
        + "{operation=\"lease keep-alive\"}");
  }

  /** The sum of the metric lines starting with {@code prefix}, from the replica's /metrics. */
  private static long counter(FacadeServer facade, String prefix) throws Exception {
    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + facade.httpPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines().filter(l -> l.startsWith(prefix))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
