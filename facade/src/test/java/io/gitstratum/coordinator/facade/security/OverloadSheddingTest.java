package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.gitstratum.coordinator.facade.heartbeat.LivenessSettings;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceStub;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica whose lease renewals back up (etcd answers late, behind a proxy) admits heartbeats
 * by deadline: it refuses at once, with REPLICA_OVERLOADED and a retry delay, only the
 * heartbeats whose leases can afford to wait, sends nothing to etcd for them, renews a node's
 * lease once per accepted heartbeat, and lets no lease of a node that keeps heartbeating
 * expire. The alive keys are watched in etcd directly, so an expired lease is seen whatever the
 * replica says.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OverloadSheddingTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int NODES = 100;
  private static final int URGENT = 8;
  private static final Duration ETCD_DELAY = Duration.ofMillis(400);

  private final List<AutoCloseable> opened = new ArrayList<>();

  private <T extends AutoCloseable> T closeAfterTest(T resource) {
    opened.add(resource);
    return resource;
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable resource : opened) {
      resource.close();
    }
  }

  private record Answer(String node, long sentNanos, long answeredNanos, Throwable error) {
    long nanos() {
      return answeredNanos - sentNanos;
    }
  }

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
              done(new Answer(node, start, System.nanoTime(), t));
            }

            @Override
            public void onCompleted() {
              done(new Answer(node, start, System.nanoTime(), null));
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

    /** The heartbeats answered with an error, from the {@code from}th answer on. */
    List<Answer> failedSince(int from) {
      return answers.stream().skip(from).filter(a -> a.error() != null).toList();
    }

    List<Answer> accepted() {
      return answers.stream().filter(a -> a.error() == null).toList();
    }
  }

  /**
   * Deletions of the cluster's alive keys, watched in etcd without going through the proxy: a
   * node's lease expired (nothing here deregisters).
   */
  private static final class ExpiredLeases implements AutoCloseable {
    final Queue<String> nodes = new ConcurrentLinkedQueue<>();
    private final Client client;
    private final Watch.Watcher watcher;

    ExpiredLeases(String cluster) {
      client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
      String prefix = FacadeHarness.keys(cluster).alivePrefix();
      watcher = client.getWatchClient().watch(FacadeHarness.bytes(prefix),
          WatchOption.builder().isPrefix(true).build(), response -> response.getEvents().stream()
              .filter(e -> e.getEventType() == WatchEvent.EventType.DELETE)
              .forEach(e -> nodes.add(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8)
                  .substring(prefix.length()))));
    }

    @Override
    public void close() {
      watcher.close();
      client.close();
    }
  }

  /**
   * Registers {@code prefix0..n-1} all at once, makes them ACTIVE by a heartbeat each, then
   * heartbeats them all once more, so that every lease starts the test with about its whole TTL
   * (one by one, a few hundred registrations outlast a lease of a few seconds here).
   *
   * @return when the last renewal was sent
   */
  private static long registerActive(CoordinatorServiceStub stub, Beats beats, String prefix,
      int n) throws InterruptedException {
    List<CompletableFuture<Object>> registered = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      CompletableFuture<Object> done = new CompletableFuture<>();
      stub.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node(prefix + i))
          .build(), new StreamObserver<>() {
            @Override
            public void onNext(RegisterNodeResponse value) {}

            @Override
            public void onError(Throwable t) {
              done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              done.complete(null);
            }
          });
      registered.add(done);
    }
    registered.forEach(CompletableFuture::join);
    long sent = 0;
    for (int round = 0; round < 2; round++) { // -> ACTIVE, then renewed
      List<String> due = IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
      // All at once on a busy machine may make a standing queue: refused ones try again.
      for (int attempt = 0; !due.isEmpty(); attempt++) {
        assertTrue(attempt < 50, due.size() + " heartbeats still refused");
        List<CompletableFuture<Answer>> beaten = due.stream().map(beats::send).toList();
        List<String> refused = new ArrayList<>();
        for (CompletableFuture<Answer> future : beaten) {
          Answer answer = future.join();
          if (answer.error() == null) {
            sent = Math.max(sent, answer.sentNanos());
          } else {
            assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(answer.error()).getCode(),
                answer.error().toString());
            refused.add(answer.node());
          }
        }
        due = refused;
        Thread.sleep(refused.isEmpty() ? 0 : 200);
      }
    }
    return sent;
  }

  @Test
  void pastItsCapacityTheReplicaRefusesTheLeasesThatCanWaitAndRenewsTheOthers(TestInfo test)
      throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      // Leases of 6 s, heartbeats every 1 s, etcd timeout 2 s: while renewals queue, a
      // heartbeat is refused only while its lease has more than 3 s left after the queue's wait.
      Duration ttl = Duration.ofSeconds(6);
      long spare = Duration.ofSeconds(3).toNanos();
      FacadeServer facade = harness.start(cluster, config -> config.withLiveness(
          new LivenessSettings(Duration.ofSeconds(1), ttl, Duration.ofSeconds(12),
              Duration.ofMillis(50))));
      CoordinatorServiceStub stub = CoordinatorServiceGrpc.newStub(harness.channel(facade));
      Beats beats = new Beats(stub);
      registerActive(stub, beats, "n", NODES);
      long urgentRenewed = registerActive(stub, beats, "urgent", URGENT);
      ExpiredLeases expired = closeAfterTest(new ExpiredLeases(cluster));
      long renewalsBefore = keepAlivesSent(facade);
      long shedBefore = counter(facade, "gitstratum_coordinator_heartbeats_shed_total");
      int answersBefore = beats.answers.size();

      proxy.delayResponses(ETCD_DELAY);
      // 1,500 heartbeats over about 4.5 s: renewals keep waiting 400 ms, a standing queue from
      // about 0.9 s on (the first answer, then 10 x 50 ms). Once refusals are under way and the
      // urgent nodes' leases have less than 3 s left, they heartbeat too.
      List<CompletableFuture<Answer>> urgent = new ArrayList<>();
      long urgentSent = 0;
      for (int round = 0; round < 15; round++) {
        for (int i = 0; i < NODES; i++) {
          beats.send("n" + i);
          if (i % 20 == 0) {
            Thread.sleep(60);
          }
          if (urgent.isEmpty() && !beats.failedSince(answersBefore).isEmpty()
              && System.nanoTime() - urgentRenewed > TimeUnit.MILLISECONDS.toNanos(3_300)) {
            urgentSent = System.nanoTime();
            for (int u = 0; u < URGENT; u++) {
              urgent.add(beats.send("urgent" + u));
            }
          }
        }
      }
      beats.awaitAll();
      // Taken now: the nodes stop heartbeating here, and their leases run out a few s later.
      List<String> expiredDuringFlood = List.copyOf(expired.nodes);
      proxy.pass();

      assertFalse(urgent.isEmpty(), "the urgent nodes never got to heartbeat during refusals");
      for (CompletableFuture<Answer> answer : urgent) {
        assertEquals(null, answer.join().error(), "a lease close to its end is renewed");
      }
      long after = urgentSent;
      List<Answer> flood = beats.answers.stream().skip(answersBefore).toList();
      List<Answer> refused = flood.stream().filter(a -> a.error() != null).toList();
      assertTrue(refused.stream().anyMatch(a -> a.sentNanos() > after),
          "refusals went on after the urgent heartbeats were accepted");
      long accepted = flood.size() - refused.size();
      System.out.printf("%d heartbeats accepted, %d refused%n", accepted, refused.size());
      assertTrue(refused.size() > NODES, "refused only " + refused.size());
      assertTrue(accepted >= 4 * 16, "accepted only " + accepted + ": each stream's backlog");
      Map<String, List<Answer>> acceptedByNode = beats.accepted().stream()
          .collect(Collectors.groupingBy(Answer::node));
      // Refused without waiting for etcd, which answers nothing within 400 ms. On a busy
      // machine every answer is late as well (the test's and the replica's threads wait for a
      // core), by about as much whether refused or accepted: the difference says it.
      long refusedMs = medianMs(refused);
      long acceptedMs = medianMs(flood.stream().filter(a -> a.error() == null).toList());
      System.out.printf("median answer: refused %d ms, accepted %d ms%n", refusedMs, acceptedMs);
      assertTrue(refusedMs < acceptedMs - ETCD_DELAY.toMillis() / 2, "refusals answered in "
          + refusedMs + " ms (median), accepted heartbeats in " + acceptedMs + " ms: refusals "
          + "waited for etcd");
      for (Answer answer : refused) {
        ErrorDetails details = ErrorDetails.expect((StatusRuntimeException) answer.error(),
            Status.Code.UNAVAILABLE, "REPLICA_OVERLOADED");
        assertEquals(Duration.ofSeconds(1), details.retryDelay().orElseThrow());
        assertTrue(Long.parseLong(details.metadata("waitedMs")) >= 50);
        // The replica counts a lease from its own renewal's start, after the client sent it
        // and before the client had its answer: the latest such answer bounds what it knew.
        long lastAnswer = acceptedByNode.get(answer.node()).stream()
            .filter(a -> a.sentNanos() < answer.sentNanos())
            .mapToLong(Answer::answeredNanos).max().orElseThrow();
        long left = lastAnswer + ttl.toNanos() - answer.sentNanos();
        assertTrue(left > spare, answer.node() + " refused with " + left / 1_000_000
            + " ms of its lease left, less than the 3 s a refused node needs");
      }
      assertEquals(refused.size(),
          counter(facade, "gitstratum_coordinator_heartbeats_shed_total") - shedBefore);
      long renewals = keepAlivesSent(facade) - renewalsBefore;
      // The replica's own session renewals (every few hundred ms here) come on top.
      assertTrue(renewals >= accepted && renewals <= accepted + 30,
          renewals + " lease renewals for " + accepted + " accepted heartbeats");
      assertEquals(List.of(), expiredDuringFlood, "leases expired");
    }
  }

  /**
   * etcd answers every renewal 2.4 s late, past half the etcd timeout (4 s here) but within it:
   * the replica is slow, not over its capacity. Every node keeps its lease, although each
   * heartbeat waits behind others for more than half the timeout. (Before heartbeats were
   * admitted by deadline, that wait alone refused every heartbeat, and every node's lease ran
   * out while each of its heartbeats was answered, REPLICA_OVERLOADED.)
   */
  @Test
  void slowRenewalsThatStillMakeItCostNoNodeItsLease(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    int nodes = 40;
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FacadeHarness harness = new FacadeHarness(List.of(proxy.endpoint()))) {
      FacadeServer facade = harness.start(cluster, config -> config
          .withEtcd(config.etcd().withTimeouts(Duration.ofSeconds(4),
              config.etcd().cacheCheckInterval()))
          .withLiveness(new LivenessSettings(Duration.ofSeconds(1), Duration.ofSeconds(6),
              Duration.ofSeconds(12), Duration.ofMillis(50))));
      CoordinatorServiceStub stub = CoordinatorServiceGrpc.newStub(harness.channel(facade));
      Beats beats = new Beats(stub);
      registerActive(stub, beats, "n", nodes);
      ExpiredLeases expired = closeAfterTest(new ExpiredLeases(cluster));
      int answersBefore = beats.answers.size();
      proxy.delayResponses(Duration.ofMillis(2_400));
      // Every node once a second, evenly spread, for 12 s: two lease TTLs.
      for (int round = 0; round < 12; round++) {
        for (int i = 0; i < nodes; i++) {
          beats.send("n" + i);
          Thread.sleep(1_000 / nodes);
        }
      }
      beats.awaitAll();
      List<String> expiredDuringBeats = List.copyOf(expired.nodes);
      proxy.pass();
      List<Answer> failed = beats.failedSince(answersBefore);
      assertEquals(List.of(), expiredDuringBeats, "leases expired; failed heartbeats: "
          + failed.size() + (failed.isEmpty() ? "" : ", the first " + failed.get(0).error()));
      assertEquals(0, failed.size(), () -> "the first failure: " + failed.get(0).error());
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
      CoordinatorServiceStub stub = CoordinatorServiceGrpc.newStub(harness.channel(facade));
      Beats beats = new Beats(stub);
      registerActive(stub, beats, "n", NODES);
      int answersBefore = beats.answers.size();
      // Every node within about 160 ms while etcd answers 200 ms late: the renewals queue up
      // for a moment, the oldest waiting past 50 ms (a GC pause or a hiccup looks the same),
      // then drain; that is no overload.
      proxy.delayResponses(Duration.ofMillis(200));
      for (int i = 0; i < NODES; i++) {
        beats.send("n" + i);
        if (i % 10 == 0) {
          Thread.sleep(8);
        }
      }
      beats.awaitAll();
      proxy.pass();
      List<Answer> refused = beats.failedSince(answersBefore);
      assertEquals(0, refused.size(), () -> refused.size() + " heartbeats failed, the first with "
          + refused.get(0).error());
    }
  }

  private static long medianMs(List<Answer> answers) {
    return answers.stream().mapToLong(a -> a.nanos() / 1_000_000).sorted()
        .skip(answers.size() / 2).findFirst().orElseThrow();
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
