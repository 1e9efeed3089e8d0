package io.gitstratum.coordinator.client.failover;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.NodeNotFoundException;
import io.gitstratum.coordinator.client.errors.ResourceExhaustedException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.testing.FakeCoordinator;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/** Failover, retries, error mapping and circuit breaking against in-process fake replicas. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CoordinatorClientTest {
  private FakeCoordinator a;
  private FakeCoordinator b;

  @BeforeEach
  void start(TestInfo test) {
    String name = test.getTestMethod().orElseThrow().getName();
    a = FakeCoordinator.start(name + "-a");
    b = FakeCoordinator.start(name + "-b");
    a.topology = r -> GetTopologyResponse.newBuilder().setVersion(1).setLeaderId("a").build();
    b.topology = r -> GetTopologyResponse.newBuilder().setVersion(1).setLeaderId("b").build();
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  /** A breaker that stays closed, to look at retries alone. */
  private static final CircuitBreakerConfig NEVER_OPENS = CircuitBreakerConfig.custom()
      .minimumNumberOfCalls(1000).slidingWindowSize(1000).build();

  private CoordinatorClient.Builder client(FakeCoordinator... replicas) {
    return CoordinatorClient.builder(List.of(replicas).stream().map(FakeCoordinator::endpoint)
            .toList())
        .channelFactory(FakeCoordinator.channels())
        .shuffleEndpoints(false)
        .backoff(Duration.ofMillis(1), Duration.ofMillis(5));
  }

  @Test
  void sticksToOneReplicaAndMovesOnUnavailable() {
    try (CoordinatorClient client = client(a, b).build()) {
      assertEquals("a", client.getTopology(false).getLeaderId());
      assertEquals("a", client.getTopology(false).getLeaderId());
      assertEquals(a.endpoint(), client.currentEndpoint().orElseThrow());

      a.failAll = Status.UNAVAILABLE.withDescription("etcd unreachable");
      assertEquals("b", client.getTopology(true).getLeaderId());
      assertEquals(b.endpoint(), client.currentEndpoint().orElseThrow());
      assertEquals(3, a.calls.get());

      // It stays on b even once a is healthy again.
      a.failAll = null;
      assertEquals("b", client.getTopology(false).getLeaderId());
      assertEquals(3, a.calls.get());
    }
  }

  @Test
  void deadlinesCountAsUnavailable() {
    a.topology = r -> {
      sleep(500);
      return GetTopologyResponse.getDefaultInstance();
    };
    try (CoordinatorClient client = client(a, b).deadline(Duration.ofMillis(50)).build()) {
      assertEquals("b", client.getTopology(false).getLeaderId());
    }
  }

  @Test
  void givesUpAfterMaxAttemptsWithTheLastError() {
    a.failAll = Status.UNAVAILABLE.withDescription("down");
    try (CoordinatorClient client = client(a).maxAttempts(3).build()) {
      UnavailableException e = assertThrows(UnavailableException.class,
          () -> client.getTopology(false));
      assertEquals(Status.Code.UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains("down"), e.getMessage());
      assertEquals(3, a.calls.get());
    }
  }

  @Test
  void aDelayTheFacadeAsksForIsWaitedWithJitter() {
    AtomicInteger calls = new AtomicInteger();
    List<Long> at = new CopyOnWriteArrayList<>();
    a.topology = r -> {
      at.add(System.nanoTime());
      if (calls.getAndIncrement() == 0) {
        throw FakeCoordinator.error(Status.Code.RESOURCE_EXHAUSTED, "RATE_LIMITED",
            Map.of("scope", "client"), Duration.ofMillis(300));
      }
      return GetTopologyResponse.newBuilder().setLeaderId("a").build();
    };
    try (CoordinatorClient client = client(a).backoff(Duration.ofMillis(1), Duration.ofSeconds(1))
        .build()) {
      assertEquals("a", client.getTopology(false).getLeaderId());
      assertTrue(at.get(1) - at.get(0) >= Duration.ofMillis(300).toNanos(),
          "waited " + (at.get(1) - at.get(0)) / 1_000_000 + " ms");
    }
  }

  @Test
  void anErrorOfTheSharedEtcdIsRetriedWhereTheClientIsAndAReplicasOwnElsewhere() {
    AtomicInteger aCalls = new AtomicInteger();
    a.topology = r -> {
      if (aCalls.getAndIncrement() == 0) {
        throw FakeCoordinator.error(Status.Code.UNAVAILABLE, "ETCD_UNAVAILABLE", Map.of(), null);
      }
      throw FakeCoordinator.error(Status.Code.UNAVAILABLE, "REPLICA_OVERLOADED",
          Map.of("waitedMs", "900"), Duration.ofMillis(50));
    };
    try (CoordinatorClient client = client(a, b).build()) {
      // ETCD_UNAVAILABLE: again on a; then REPLICA_OVERLOADED: on b, after the asked delay.
      long start = System.nanoTime();
      assertEquals("b", client.getTopology(false).getLeaderId());
      assertTrue(System.nanoTime() - start >= Duration.ofMillis(50).toNanos());
      assertEquals(2, a.calls.get());
      assertEquals(1, b.calls.get());
      assertEquals(b.endpoint(), client.currentEndpoint().orElseThrow());
      assertEquals(a.endpoint(), client.homeEndpoint().orElseThrow());
    }
  }

  @Test
  void aMessageTooLargeIsNotRetried() {
    a.failAll = Status.RESOURCE_EXHAUSTED.withDescription("message too large");
    try (CoordinatorClient client = client(a, b).build()) {
      assertThrows(ResourceExhaustedException.class, () -> client.getTopology(false));
      assertEquals(1, a.calls.get());
      assertEquals(0, b.calls.get());
      assertEquals(a.endpoint(), client.currentEndpoint().orElseThrow());
    }
  }

  @Test
  void onceTheRetryBudgetIsSpentEachCallMakesOneAttempt() {
    a.failAll = Status.UNAVAILABLE;
    b.failAll = Status.UNAVAILABLE;
    try (CoordinatorClient client = client(a, b).circuitBreaker(NEVER_OPENS).maxAttempts(5)
        .build()) {
      assertThrows(UnavailableException.class, () -> client.getTopology(false));
      assertEquals(5, a.calls.get() + b.calls.get(), "10 tokens: retries while more than 5");
      for (int i = 0; i < 10; i++) {
        assertThrows(UnavailableException.class, () -> client.getTopology(false));
      }
      assertEquals(15, a.calls.get() + b.calls.get());
    }
  }

  @Test
  void aCallLimitBoundsTheAttemptsAndTheTime() {
    a.failAll = Status.UNAVAILABLE;
    b.failAll = Status.UNAVAILABLE;
    HeartbeatRequest beat = HeartbeatRequest.newBuilder().setNodeId("x").build();
    // Waits of 150-300 ms between attempts: five attempts would take over a second.
    try (CoordinatorClient client = client(a, b).circuitBreaker(NEVER_OPENS)
        .backoff(Duration.ofMillis(300), Duration.ofMillis(300)).build()) {
      assertThrows(UnavailableException.class,
          () -> client.heartbeat(beat, CallLimit.once(Duration.ofSeconds(5))));
      assertEquals(1, a.calls.get() + b.calls.get());
      long start = System.nanoTime();
      assertThrows(UnavailableException.class,
          () -> client.heartbeat(beat, CallLimit.within(Duration.ofMillis(100))));
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertEquals(2, a.calls.get() + b.calls.get(), "no wait fits in 100 ms: one attempt");
      // Far below the 0.6-1.2 s of unbounded retries, with room for a loaded machine.
      assertTrue(tookMs < 500, tookMs + " ms");
    }
  }

  @Test
  void answersThatAreNotUnavailabilityAreNotRetried() {
    a.heartbeat = r -> {
      throw FakeCoordinator.status(Status.Code.NOT_FOUND, "node x is not registered");
    };
    try (CoordinatorClient client = client(a, b).build()) {
      HeartbeatRequest beat = HeartbeatRequest.newBuilder().setNodeId("x").build();
      assertThrows(NodeNotFoundException.class, () -> client.heartbeat(beat));
      assertEquals(1, a.calls.get());
      assertEquals(0, b.calls.get());

      a.heartbeat = r -> {
        throw FakeCoordinator.status(Status.Code.FAILED_PRECONDITION, "generation g2, not g1");
      };
      assertThrows(ZombieGenerationException.class, () -> client.heartbeat(beat));
      assertEquals(a.endpoint(), client.currentEndpoint().orElseThrow());
    }
  }

  @Test
  void anOpenCircuitIsSkippedWhileAnotherEndpointWorks() {
    CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
        .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(100)
        .waitDurationInOpenState(Duration.ofMinutes(1))
        .recordException(e -> e instanceof UnavailableException).build();
    a.failAll = Status.UNAVAILABLE;
    AtomicInteger bHiccups = new AtomicInteger();
    b.topology = r -> {
      if (bHiccups.getAndDecrement() > 0) {
        throw FakeCoordinator.status(Status.Code.UNAVAILABLE, "hiccup");
      }
      return GetTopologyResponse.newBuilder().setLeaderId("b").build();
    };
    // Opens after two unavailable answers in a row: a's, but not b's single hiccups.
    try (CoordinatorClient client = client(a, b).circuitBreaker(breaker).build()) {
      assertEquals("b", client.getTopology(false).getLeaderId()); // a fails once, then b
      bHiccups.set(1);
      assertEquals("b", client.getTopology(false).getLeaderId()); // b, a (2nd failure), b
      assertEquals(2, a.calls.get());
      bHiccups.set(1);
      // b's hiccup points the client back at a, whose circuit is open now: skipped.
      assertEquals("b", client.getTopology(false).getLeaderId());
      assertEquals(2, a.calls.get());
      assertEquals(b.endpoint(), client.currentEndpoint().orElseThrow());
    }
  }

  @Test
  void withEveryCircuitOpenCallsPassOnlyWhileTheBudgetAllowsThenProbesRecover() {
    CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
        .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofMillis(300))
        .recordException(e -> e instanceof UnavailableException).build();
    a.failAll = Status.UNAVAILABLE;
    b.failAll = Status.UNAVAILABLE;
    try (CoordinatorClient client = client(a, b).circuitBreaker(breaker).maxAttempts(4)
        .build()) {
      assertThrows(UnavailableException.class, () -> client.getTopology(false));
      assertEquals(4, a.calls.get() + b.calls.get());
      // Both circuits are open; the budget (6 tokens of 10) lets one more attempt past them.
      assertThrows(UnavailableException.class, () -> client.getTopology(false));
      assertEquals(5, a.calls.get() + b.calls.get());
      // Spent: calls fail at once, without reaching a replica.
      UnavailableException fast = assertThrows(UnavailableException.class,
          () -> client.getTopology(false));
      assertTrue(fast.getMessage().contains("circuit is open"), fast.getMessage());
      assertEquals(5, a.calls.get() + b.calls.get());
      // The replicas recover; once a circuit half-opens, its probe succeeds.
      a.failAll = null;
      b.failAll = null;
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
        try {
          return client.getTopology(false).getVersion() == 1;
        } catch (UnavailableException e) {
          return false;
        }
      });
    }
  }

  @Test
  void aBrokenWatchStreamMovesTheClientToTheNextEndpoint() {
    List<Object> seen = new CopyOnWriteArrayList<>();
    WatchObserver observer = new WatchObserver() {
      @Override
      public void onNext(TopologyUpdate update) {
        seen.add(update);
      }

      @Override
      public void onError(CoordinatorClientException error) {
        seen.add(error);
      }

      @Override
      public void onCompleted() {
        seen.add("completed");
      }
    };
    try (CoordinatorClient client = client(a, b).build()) {
      WatchCall call = client.watchTopology(7, observer);
      assertEquals(a.endpoint(), call.endpoint());
      await().until(() -> a.watchers.size() == 1);
      assertEquals(List.of(7L), a.watchSince);
      a.watchers.get(0).onNext(TopologyUpdate.newBuilder().setVersion(7).build());
      a.watchers.get(0).onError(Status.UNAVAILABLE.withDescription("bye").asRuntimeException());
      await().until(() -> seen.size() == 2);
      assertTrue(seen.get(1) instanceof UnavailableException, seen.toString());
      assertEquals(b.endpoint(), client.currentEndpoint().orElseThrow());

      // A cancelled stream reports nothing more.
      WatchCall second = client.watchTopology(7, observer);
      await().until(() -> b.watchers.size() == 1);
      second.cancel();
      assertEquals(2, seen.size());
      // abandon() moves the client off a stream's endpoint too.
      client.watchTopology(7, observer).abandon("gap");
      assertEquals(a.endpoint(), client.currentEndpoint().orElseThrow());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms); // stands for a replica that does not answer in time
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
