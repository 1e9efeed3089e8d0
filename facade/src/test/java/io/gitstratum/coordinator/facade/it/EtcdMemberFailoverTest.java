package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.gitstratum.coordinator.etcdlocal.EtcdMember;
import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 24, item 6: etcd's leader killed (SIGKILL) or stopped (SIGSTOP: its connections stay
 * open, nothing answers) while nodes register, heartbeat and read: every etcd call leaves the
 * dead or silent member, so calls fail, if at all, only until one etcd timeout plus the election
 * after the fault. The cluster runs etcd's default raft timers (election timeout 1 s), as
 * deploy/local-cluster and production do: the tests' fast timers (100 ms) elect a new leader
 * before a request held by a follower could show.
 */
@Tag("etcd")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdMemberFailoverTest {
  private static final Duration ETCD_TIMEOUT = Duration.ofSeconds(2);
  /** A call's own deadline: long enough to see a call held past the etcd timeout. */
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
  /** Scheduling and round trips on a busy two-core machine. */
  private static final Duration SLACK = Duration.ofMillis(700);
  private static final Duration FAULT_HELD = Duration.ofSeconds(8);

  private LocalEtcdCluster etcd;

  @BeforeEach
  void startEtcd() throws Exception {
    etcd = LocalEtcdCluster.start(LocalEtcdCluster.Options.builder().members(3)
        .fastTimers(false).build());
  }

  @AfterEach
  void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aKilledEtcdLeaderFailsCallsForAtMostOneTimeoutPlusAnElection(TestInfo test)
      throws Exception {
    run(test, "killed leader", member -> member.kill(), member -> {});
  }

  @Test
  void aStoppedEtcdLeaderFailsCallsForAtMostOneTimeoutPlusAnElection(TestInfo test)
      throws Exception {
    run(test, "stopped leader", member -> signal(member, "STOP"),
        member -> signal(member, "CONT"));
  }

  private interface MemberAction {
    void apply(EtcdMember member) throws Exception;
  }

  private void run(TestInfo test, String label, MemberAction fault, MemberAction heal)
      throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints());
        Client direct = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
            .build()) {
      ManagedChannel channel = harness.channel(harness.start(cluster,
          EtcdMemberFailoverTest::config));
      Load load = new Load(channel);
      load.start();
      try {
        Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> load.successes("heartbeat") > 20 && load.successes("register") > 5);
        int leader = raftLeader(direct, List.of(0, 1, 2)).orElseThrow();
        long faultAt = System.nanoTime();
        fault.apply(etcd.member(leader));
        List<Integer> rest = new ArrayList<>(List.of(0, 1, 2));
        rest.remove(Integer.valueOf(leader));
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
            .until(() -> raftLeader(direct, rest).isPresent());
        Duration election = Duration.ofNanos(System.nanoTime() - faultAt);
        Thread.sleep(FAULT_HELD.toMillis()); // the scenario is defined by its duration
        try {
          heal.apply(etcd.member(leader));
        } finally {
          load.stop();
        }
        Duration bound = ETCD_TIMEOUT.plus(election).plus(SLACK);
        Map<String, Duration> windows = new ConcurrentHashMap<>();
        for (String kind : Load.KINDS) {
          windows.put(kind, load.failingAfter(kind, faultAt));
        }
        System.out.printf("%s (etcd member %d): new leader after %d ms; calls failed until "
            + "(ms after the fault) %s; bound %d ms; failures %s%n", label, leader,
            election.toMillis(), millis(windows), bound.toMillis(), load.failures(faultAt));
        assertAll(Load.KINDS.stream().map(kind -> () -> {
          assertTrue(windows.get(kind).compareTo(bound) <= 0, kind + " calls failed until "
              + windows.get(kind).toMillis() + " ms after the fault, past one etcd timeout ("
              + ETCD_TIMEOUT.toMillis() + " ms) plus the election (" + election.toMillis()
              + " ms): " + load.failures(faultAt));
          assertTrue(load.successesAfter(kind, faultAt + bound.toNanos()) > 0,
              "no " + kind + " call succeeded after the failover");
        }));
      } finally {
        load.stop();
      }
    }
  }

  private static FacadeConfig config(FacadeConfig config) {
    return config
        .withEtcd(config.etcd().withTimeouts(ETCD_TIMEOUT, Duration.ofMillis(500)))
        .withLiveness(config.liveness().withTimeouts(Duration.ofMillis(500),
            Duration.ofSeconds(30), Duration.ofSeconds(60)));
  }

  private static Map<String, Long> millis(Map<String, Duration> windows) {
    Map<String, Long> out = new TreeMap<>();
    windows.forEach((k, v) -> out.put(k, v.toMillis()));
    return out;
  }

  private Optional<Integer> raftLeader(Client direct, List<Integer> members) {
    for (int i : members) {
      try {
        StatusResponse status = direct.getMaintenanceClient()
            .statusMember(etcd.member(i).clientEndpoint()).get(500, TimeUnit.MILLISECONDS);
        if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
          return Optional.of(i);
        }
      } catch (Exception e) {
        // not answering: not the leader
      }
    }
    return Optional.empty();
  }

  private static void signal(EtcdMember member, String signal) throws Exception {
    long pid = member.pid().orElseThrow();
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
    assertTrue(kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0,
        "kill -" + signal + " " + pid);
  }

  /**
   * Registrations (a new node each time), heartbeats of the registered nodes and linearizable
   * reads, each kind in its own closed loop, every call with its own deadline; records when each
   * call started and ended and whether it succeeded.
   */
  private static final class Load {
    static final List<String> KINDS = List.of("register", "heartbeat", "linearizable read");

    record Call(String kind, long startNanos, long endNanos, String error) {}

    private final CoordinatorServiceBlockingStub stub;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<String> registered = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger next = new AtomicInteger();
    private final ExecutorService threads = Executors.newFixedThreadPool(6);

    Load(ManagedChannel channel) {
      this.stub = CoordinatorServiceGrpc.newBlockingStub(channel);
    }

    void start() {
      for (int i = 0; i < 2; i++) {
        threads.submit(() -> loop("register", () -> {
          String id = "n" + next.getAndIncrement();
          call().registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node(id))
              .build());
          registered.add(id);
        }));
      }
      for (int i = 0; i < 3; i++) {
        int lane = i;
        threads.submit(() -> loop("heartbeat", () -> {
          List<String> ids = List.copyOf(registered);
          for (int k = lane; k < ids.size(); k += 3) {
            call().heartbeat(TestNodes.beat(ids.get(k), NodeState.NODE_STATE_ACTIVE));
          }
        }));
      }
      threads.submit(() -> loop("linearizable read", () -> call().getTopology(
          GetTopologyRequest.newBuilder().setLinearizable(true).build())));
    }

    private CoordinatorServiceBlockingStub call() {
      return stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void loop(String kind, Runnable call) {
      while (running.get()) {
        long start = System.nanoTime();
        String error = null;
        try {
          call.run();
        } catch (StatusRuntimeException e) {
          error = e.getStatus().getCode() + " " + e.getStatus().getDescription();
        }
        calls.add(new Call(kind, start, System.nanoTime(), error));
        try {
          Thread.sleep(100); // a client's pace, not a wait for a condition
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    long successes(String kind) {
      return calls.stream().filter(c -> c.kind().equals(kind) && c.error() == null).count();
    }

    long successesAfter(String kind, long nanos) {
      return calls.stream().filter(c -> c.kind().equals(kind) && c.error() == null
          && c.startNanos() >= nanos).count();
    }

    /** How long after {@code faultAt} the last failed call of {@code kind} ended (0: none). */
    Duration failingAfter(String kind, long faultAt) {
      return Duration.ofNanos(calls.stream()
          .filter(c -> c.kind().equals(kind) && c.error() != null && c.endNanos() >= faultAt)
          .mapToLong(c -> c.endNanos() - faultAt).max().orElse(0));
    }

    List<String> failures(long faultAt) {
      return calls.stream().filter(c -> c.error() != null && c.endNanos() >= faultAt)
          .map(c -> String.format("%s %d-%d ms: %s", c.kind(),
              (c.startNanos() - faultAt) / 1_000_000, (c.endNanos() - faultAt) / 1_000_000,
              c.error()))
          .limit(40).toList();
    }

    void stop() throws InterruptedException {
      running.set(false);
      threads.shutdown();
      threads.awaitTermination(CALL_DEADLINE.toMillis() + 1000, TimeUnit.MILLISECONDS);
    }
  }
}
