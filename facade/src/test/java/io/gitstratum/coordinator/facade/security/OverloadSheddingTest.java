package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.heartbeat.LivenessSettings;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica whose lease renewals back up (etcd answers 400 ms late, behind a proxy) refuses the
 * excess heartbeats at once with REPLICA_OVERLOADED and a retry delay, sends nothing to etcd for
 * them, and still answers every heartbeat it accepted.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OverloadSheddingTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int NODES = 200;
  private static final Duration ETCD_DELAY = Duration.ofMillis(400);

  private record Answer(long sentNanos, long nanos, Throwable error) {}

  /** Heartbeats sent without waiting, and their answers as they come. */
  private static final class Beats {
    final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final CoordinatorServiceStub stub;
    private final AtomicInteger sent = new AtomicInteger();

    Beats(CoordinatorServiceStub stub) {
      this.stub = stub;
    }

    CompletableFuture<Answer> send(String node) {
      sent.incrementAndGet();
      CompletableFuture<Answer> answer = new CompletableFuture<>();
      long start = System.nanoTime();
      stub.withDeadlineAfter(20, TimeUnit.SECONDS).heartbeat(
          TestNodes.beat(node, NodeState.NODE_STATE_ACTIVE), new StreamObserver<>() {
            @Override
            public void onNext(HeartbeatResponse value) {}

            @Override
            public void onError(Throwable t) {
              done(new Answer(start, System.nanoTime() - start, t));
            }

            @Override
            public void onCompleted() {
              done(new Answer(start, System.nanoTime() - start, null));
            }

            private void done(Answer a) {
              answers.add(a);
              answer.complete(a);
            }
          });
      return answer;
    }

    void awaitAll() {
      Awaitility.await().atMost(Duration.ofSeconds(40))
          .until(() -> answers.size() == sent.get());
    }

    List<Answer> refused() {
      return answers.stream().filter(a -> a.error() != null).toList();
    }
  }

  private static void registerActive(CoordinatorServiceBlockingStub stub, String node) {
    stub.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node(node)).build());
    stub.heartbeat(TestNodes.beat(node, NodeState.NODE_STATE_ACTIVE)); // -> ACTIVE
  }

  @Test
  void heartbeatsPastTheBacklogAreRefusedEarlyAndCostNoRenewal(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      // Node leases of 6 s: a heartbeat is refused only while its lease has 3 s or more left.
      FacadeServer facade = harness.start(cluster, config -> config.withLiveness(
          new LivenessSettings(Duration.ofSeconds(2), Duration.ofSeconds(6),
              Duration.ofSeconds(12), Duration.ofMillis(50))));
      CoordinatorServiceBlockingStub blocking = harness.stub(facade);
      registerActive(blocking, "urgent");
      long urgentRenewed = System.nanoTime();
      for (int i = 0; i < NODES; i++) {
        registerActive(blocking, "n" + i);
      }
      long renewalsBefore = keepAlivesSent(facade);
      long shedBefore = counter(facade, "gitstratum_coordinator_heartbeats_shed_total");

      proxy.delayResponses(ETCD_DELAY);
      // 3,000 heartbeats over about 4.5 s: renewals keep waiting 400 ms, a standing queue from
      // about 0.9 s on (the first answer, then 10 x 50 ms). Once refusals are under way and
      // more than half of its lease is gone, the node "urgent" heartbeats too.
      Beats beats = new Beats(CoordinatorServiceGrpc.newStub(harness.channel(facade)));
      CompletableFuture<Answer> urgent = null;
      for (int round = 0; round < 15; round++) {
        for (int i = 0; i < NODES; i++) {
          beats.send("n" + i);
          if (i % 40 == 0) {
            Thread.sleep(60);
          }
          if (urgent == null && !beats.refused().isEmpty()
              && System.nanoTime() - urgentRenewed > TimeUnit.MILLISECONDS.toNanos(3_300)) {
            urgent = beats.send("urgent");
          }
        }
      }
      beats.awaitAll();
      proxy.pass();

      assertTrue(urgent != null, "the node urgent never got to heartbeat during the refusals");
      Answer urgentAnswer = urgent.join();
      assertEquals(null, urgentAnswer.error(), "a lease more than half gone is never refused");
      long sentUrgent = urgentAnswer.sentNanos();
      assertTrue(beats.refused().stream().anyMatch(a -> a.sentNanos() > sentUrgent),
          "refusals went on after the urgent heartbeat was accepted");

      long accepted = beats.answers.stream().filter(a -> a.error() == null).count();
      List<Answer> refused = beats.refused();
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
      assertTrue(renewals >= accepted && renewals <= accepted + 30,
          renewals + " lease renewals for " + accepted + " accepted heartbeats");
    }
  }

  @Test
  void aBurstThatDrainsRefusesNothing(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      FacadeServer facade = harness.start(cluster, config -> config.withLiveness(
          new LivenessSettings(Duration.ofSeconds(10), Duration.ofSeconds(30),
              Duration.ofSeconds(60), Duration.ofMillis(50))));
      CoordinatorServiceBlockingStub blocking = harness.stub(facade);
      for (int i = 0; i < NODES; i++) {
        registerActive(blocking, "n" + i);
      }
      // Every node within about 160 ms while etcd answers 200 ms late: the renewals queue up
      // for a moment, the oldest waiting past 50 ms (a GC pause or a hiccup looks the same),
      // then drain; that is no overload.
      proxy.delayResponses(Duration.ofMillis(200));
      Beats beats = new Beats(CoordinatorServiceGrpc.newStub(harness.channel(facade)));
      for (int i = 0; i < NODES; i++) {
        beats.send("n" + i);
        if (i % 10 == 0) {
          Thread.sleep(8);
        }
      }
      beats.awaitAll();
      proxy.pass();
      List<Answer> refused = beats.refused();
      assertEquals(0, refused.size(), () -> refused.size() + " heartbeats failed, the first with "
          + refused.get(0).error());
    }
  }

  private static long keepAlivesSent(FacadeServer facade) throws Exception {
    return counter(facade, "gitstratum_coordinator_etcd_request_duration_seconds_count"
        + "{operation=\"lease_keep_alive\"}");
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
