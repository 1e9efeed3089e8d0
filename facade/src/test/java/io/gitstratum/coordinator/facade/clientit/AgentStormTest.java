package io.gitstratum.coordinator.facade.clientit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.gitstratum.coordinator.client.agent.AgentState;
import io.gitstratum.coordinator.client.agent.NodeAgent;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.ErrorDetails;
import io.gitstratum.coordinator.client.failover.ChannelFactory;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's side of a storm: 2,000 NodeAgents (each with a client of its own, as 2,000
 * processes would have; the clients share one channel per replica) over three real replicas
 * (heartbeat 1 s, suspect 3 s). One replica sheds every heartbeat, the way the facade does
 * (UNAVAILABLE, ErrorInfo REPLICA_OVERLOADED, RetryInfo 1 s); an interceptor on the test's
 * channel to it answers so, before the call leaves the process, which stands for a replica that
 * refuses before sending anything to etcd. Every node stays ACTIVE, the heartbeat calls per
 * interval stay under 1.2 per node, and once the replica stops shedding the agents spread back
 * over all three replicas.
 */
@Tag("etcd")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentStormTest {
  private static final Logger log = LoggerFactory.getLogger(AgentStormTest.class);

  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int NODES = 2_000;
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Duration SUSPECT = Duration.ofSeconds(3);
  private static final Duration REBALANCE = Duration.ofSeconds(4);
  private static final Duration SHED_FOR = Duration.ofSeconds(8);
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Heartbeat calls leaving the clients, per replica. */
  private final Map<String, AtomicLong> heartbeats = new HashMap<>();
  private final AtomicBoolean shedding = new AtomicBoolean();

  @Test
  void twoThousandAgentsRideOutAReplicaThatShedsAndSpreadBackAfter(TestInfo test)
      throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    TopologyLog topologyLog = new TopologyLog();
    List<CoordinatorClient> clients = new ArrayList<>();
    List<NodeAgent> agents = new ArrayList<>();
    ScheduledExecutorService beats = new ScheduledThreadPoolExecutor(64);
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    Map<String, ManagedChannel> channels = new HashMap<>();
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      List<String> endpoints = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        FacadeServer replica = harness.start(cluster, c -> c.withLiveness(c.liveness()
            .withTimeouts(INTERVAL, SUSPECT, SUSPECT.multipliedBy(2))));
        String endpoint = "127.0.0.1:" + replica.port();
        endpoints.add(endpoint);
        heartbeats.put(endpoint, new AtomicLong());
        channels.put(endpoint, ManagedChannelBuilder.forAddress("127.0.0.1", replica.port())
            .usePlaintext().build());
      }
      String shedder = endpoints.get(0);
      ChannelFactory shared = endpoint -> new SharedChannel(ClientInterceptors.intercept(
          channels.get(endpoint.toString()), shedding(endpoint.toString().equals(shedder)),
          counting(heartbeats.get(endpoint.toString()))));

      try (CoordinatorClient watching = CoordinatorClient.builder(endpoints).build();
          TopologyWatcher watcher = TopologyWatcher.builder(watching).listener(topologyLog)
              .start()) {
        assertTrue(watcher.awaitSynced(WAIT));
        for (int i = 0; i < NODES; i++) {
          CoordinatorClient client = CoordinatorClient.builder(endpoints).channelFactory(shared)
              .rebalanceAfter(REBALANCE).build();
          clients.add(client);
          agents.add(NodeAgent.builder(client).nodeId(String.format("obj-%04d", i))
              .address("10.0.0.1", 7000 + i).type(NodeType.NODE_TYPE_OBJECT)
              .label("zone", "z" + i % 3).scheduler(beats).defaultHeartbeatInterval(INTERVAL)
              .build());
        }
        Map<String, Long> homes = spread(clients);
        log.info("homes: {}", homes);
        // A few dozen at a time (this test is about heartbeats, not the registration storm:
        // batches stay well within etcd's --max-txn-ops).
        long startNanos = System.nanoTime();
        ExecutorService starting = Executors.newFixedThreadPool(24);
        List<Future<?>> started = new ArrayList<>();
        for (NodeAgent agent : agents) {
          started.add(starting.submit(() -> startReady(agent)));
        }
        for (Future<?> f : started) {
          f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        starting.shutdown();
        Awaitility.await().atMost(WAIT).until(() -> active(watcher) == NODES);
        log.info("{} agents ACTIVE in {} ms; on the way, on this machine: {}", NODES,
            (System.nanoTime() - startNanos) / 1_000_000, changesOtherThanJoiningActive(
                topologyLog.entries()));
        long steadyFrom = watcher.version();

        // Calls per node in each interval, from now on.
        List<Double> perNode = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicLong last = new AtomicLong(total());
        sampler.scheduleAtFixedRate(() -> {
          long now = total();
          perNode.add((double) (now - last.getAndSet(now)) / NODES);
        }, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(WAIT)
            .until(() -> active(watcher) == NODES);
        int calmUntil = perNode.size();

        shedding.set(true);
        Awaitility.await().during(SHED_FOR).atMost(WAIT).until(() -> active(watcher) == NODES);
        int shedUntil = perNode.size();
        Map<String, Long> whileShedding = spread(clients);
        log.info("while {} sheds: {}", shedder, whileShedding);

        shedding.set(false);
        long recoveredAt = System.nanoTime();
        AtomicReference<Map<String, Long>> after = new AtomicReference<>();
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
          after.set(spread(clients));
          return evenlySpread(after.get(), endpoints);
        });
        log.info("{} ms after recovery: {}", (System.nanoTime() - recoveredAt) / 1_000_000,
            after.get());
        List<Double> measured = List.copyOf(perNode);
        List<Double> calm = measured.subList(0, calmUntil);
        List<Double> shed = measured.subList(calmUntil, shedUntil);
        List<Double> recovered = measured.subList(shedUntil, measured.size());
        log.info("heartbeat calls per node per interval: calm {}, shedding {}, recovering {}",
            calm, shed, recovered);
        String figures = "calm " + calm + ", shedding " + shed + ", recovering " + recovered;
        measured.forEach(n -> assertTrue(n < 1.2, figures));

        assertEquals(NODES, active(watcher));
        assertEquals(List.of(), topologyLog.entries().stream()
            .filter(e -> e.version() > steadyFrom).toList(),
            "once all were ACTIVE, no node changed: none SUSPECT, DOWN or removed");
        assertTrue(agents.stream().allMatch(a -> a.state() == AgentState.ACTIVE));
        assertTrue(whileShedding.getOrDefault(shedder, 0L) < NODES / 10,
            "the shedder's agents moved off it: " + whileShedding);
      } finally {
        // Stops every heartbeat before the replicas go; the nodes stay in this test's cluster.
        beats.shutdownNow();
      }
    } finally {
      sampler.shutdownNow();
      beats.shutdownNow();
      clients.forEach(CoordinatorClient::close);
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
  }

  /**
   * Starts an agent and reports it ready, calling again after a failure as an application
   * would (a busy test machine can miss a deadline): not what this test is about.
   */
  private static void startReady(NodeAgent agent) {
    for (int attempt = 1; ; attempt++) {
      try {
        if (agent.state() == AgentState.NEW) {
          agent.start();
        }
        agent.markReady();
        return;
      } catch (CoordinatorClientException e) {
        if (attempt == 10) {
          throw e;
        }
        log.info("starting {} again after: {}", agent.nodeId(), e.getMessage());
      }
    }
  }

  private static List<TopologyLog.Entry> changesOtherThanJoiningActive(
      List<TopologyLog.Entry> entries) {
    return entries.stream().filter(e -> !e.resync() && !e.what().equals("JOINING")
        && !e.what().equals("ACTIVE")).toList();
  }

  private long total() {
    return heartbeats.values().stream().mapToLong(AtomicLong::get).sum();
  }

  private static long active(TopologyWatcher watcher) {
    return watcher.topology().nodes().stream()
        .filter(n -> n.getState() == NodeState.NODE_STATE_ACTIVE).count();
  }

  private static Map<String, Long> spread(List<CoordinatorClient> clients) {
    return clients.stream().collect(Collectors.groupingBy(c -> c.currentEndpoint().orElse(""),
        TreeMap::new, Collectors.counting()));
  }

  /** Each endpoint within 20 % of a third of the agents. */
  private static boolean evenlySpread(Map<String, Long> spread, List<String> endpoints) {
    double third = NODES / 3.0;
    return endpoints.stream().allMatch(e -> Math.abs(spread.getOrDefault(e, 0L) - third)
        <= 0.2 * third);
  }

  /** Counts the Heartbeat calls that leave for one replica. */
  private static ClientInterceptor counting(AtomicLong calls) {
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method,
          CallOptions options, Channel next) {
        if (method == CoordinatorServiceGrpc.getHeartbeatMethod()) {
          calls.incrementAndGet();
        }
        return next.newCall(method, options);
      }
    };
  }

  /** While {@link #shedding}, answers Heartbeat as a replica past its capacity does. */
  private ClientInterceptor shedding(boolean isShedder) {
    com.google.rpc.Status refusal = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.UNAVAILABLE.value())
        .setMessage("lease renewals wait too long for etcd; heartbeat refused")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(ErrorDetails.DOMAIN)
            .setReason("REPLICA_OVERLOADED").putMetadata("waitedMs", "1500").build()))
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(
            com.google.protobuf.Duration.newBuilder().setSeconds(1)).build()))
        .build();
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method,
          CallOptions options, Channel next) {
        if (!isShedder || !shedding.get()
            || method != CoordinatorServiceGrpc.getHeartbeatMethod()) {
          return next.newCall(method, options);
        }
        return new ClientCall<>() {
          @Override
          public void start(Listener<A> listener, Metadata headers) {
            io.grpc.StatusRuntimeException e = StatusProto.toStatusRuntimeException(refusal);
            listener.onClose(e.getStatus(), e.getTrailers());
          }

          @Override
          public void request(int n) {}

          @Override
          public void cancel(String message, Throwable cause) {}

          @Override
          public void halfClose() {}

          @Override
          public void sendMessage(Q message) {}
        };
      }
    };
  }

  /** A channel the clients use but do not own: their close() leaves it open. */
  private static final class SharedChannel extends ManagedChannel {
    private final Channel delegate;

    SharedChannel(Channel delegate) {
      this.delegate = delegate;
    }

    @Override
    public <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, CallOptions options) {
      return delegate.newCall(method, options);
    }

    @Override
    public String authority() {
      return delegate.authority();
    }

    @Override
    public ManagedChannel shutdown() {
      return this;
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public ManagedChannel shutdownNow() {
      return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
