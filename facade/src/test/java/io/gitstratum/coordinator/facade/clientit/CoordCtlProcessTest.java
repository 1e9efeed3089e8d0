package io.gitstratum.coordinator.facade.clientit;

import static io.gitstratum.coordinator.facade.clientit.ClientFailoverTest.endpoint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.client.cli.CoordCtl;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.clientit.CoordCtlProcesses.Result;
import io.gitstratum.coordinator.facade.clientit.CoordCtlProcesses.Running;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every coordctl subcommand as its own {@code java} process against a real facade: output and
 * exit codes (0 ok, 1 error, 2 bad flags, 3 unreachable, 4 unknown node). One facade for the
 * class; the tests run in order on one evolving topology, so each checks what it changed.
 */
@Tag("etcd")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CoordCtlProcessTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static FacadeHarness harness;
  private static CoordinatorClient client;
  private static Map<String, String> env;

  @BeforeAll
  static void start() {
    harness = new FacadeHarness(etcd.endpoints());
    // Nothing heartbeats here after one state change: keep every node ACTIVE for the class.
    FacadeServer replica = harness.start("coordctl", c -> c.withLiveness(c.liveness().withTimeouts(
        Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofMinutes(10))));
    client = CoordinatorClient.builder(List.of(endpoint(replica))).build();
    env = Map.of(CoordCtl.ENDPOINTS_ENV, endpoint(replica));
  }

  @AfterAll
  static void stop() {
    client.close();
    harness.close();
  }

  private static Result ok(String... args) throws InterruptedException {
    Result r = CoordCtlProcesses.run(env, args);
    assertEquals(0, r.code(), r.toString());
    return r;
  }

  private static NodeInfo node(String id) {
    return Topology.fromResponse(client.getTopology(true)).node(id).orElseThrow();
  }

  @Test
  void operatorSession() throws Exception {
    // register (the endpoint comes from COORDCTL_ENDPOINTS); three more through the library
    Result registered = ok("register", "--id", "obj-1", "--address", "10.0.0.1", "--port",
        "7000", "--type", "object", "--label", "zone=z1", "--generation", "gen-1");
    assertTrue(registered.out().startsWith("node obj-1 registered (generation gen-1)"),
        registered.toString());
    for (int i = 2; i <= 4; i++) {
      client.registerNode(NodeInfo.newBuilder().setId("obj-" + i).setAddress("10.0.0." + i)
          .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("gen-" + i)
          .putLabels("zone", "z" + (i % 3)).build());
    }
    // heartbeat: a node registered by hand kept alive with coordctl alone (JOINING -> ACTIVE)
    Result beats = ok("heartbeat", "obj-1", "--generation", "gen-1", "--every", "100ms",
        "--count", "2");
    assertEquals(2, beats.out().lines().filter(l -> l.startsWith("heartbeat obj-1: topology "
        + "version ")).count(), beats.toString());
    // The interval it keeps, and the one the facade advises, both as a flag is written.
    assertTrue(beats.out().contains("; next in 100ms (the facade advises one every "),
        beats.toString());
    assertTrue(beats.out().contains("; no more (the facade advises one every "), beats.toString());
    assertEquals(NodeState.NODE_STATE_ACTIVE, node("obj-1").getState());
    for (int i = 2; i <= 4; i++) {
      client.heartbeat(HeartbeatRequest.newBuilder().setNodeId("obj-" + i)
          .setGenerationId("gen-" + i).setReportedState(NodeState.NODE_STATE_ACTIVE).build());
    }
    GetTopologyResponse now = client.getTopology(true);
    long version = now.getVersion();

    // Read-only commands, side by side.
    List<Result> reads = CoordCtlProcesses.runAll(env, List.of(
        new String[] {"topology"},
        new String[] {"topology", "--output", "json"},
        new String[] {"ring"},
        new String[] {"ring", "lookup", "repo/alpha"},
        new String[] {"health"},
        new String[] {"leader"},
        new String[] {"watch", "--since", String.valueOf(version - 1), "--max-updates", "1"},
        new String[] {"history", "--since", "1", "--limit", "2"}));
    reads.forEach(r -> assertEquals(0, r.code(), r.toString()));

    Result table = reads.get(0);
    assertTrue(table.out().startsWith("topology version " + version + ", 4 nodes"),
        table.toString());
    assertTrue(Pattern.compile("(?m)^ID +TYPE +STATE +ADDRESS +LABELS +LAST CHANGE$")
        .matcher(table.out()).find(), table.toString());
    assertTrue(Pattern.compile("(?m)^obj-3 +OBJECT +ACTIVE +10\\.0\\.0\\.3:7000 +zone=z0 +"
        + "\\d{4}-\\d\\d-\\d\\dT.*ago\\)$").matcher(table.out()).find(), table.toString());

    GetTopologyResponse.Builder parsed = GetTopologyResponse.newBuilder();
    JsonFormat.parser().merge(reads.get(1).out(), parsed);
    assertEquals(now, parsed.build());

    Result ring = reads.get(2);
    assertTrue(ring.out().startsWith("ring at topology version " + version
        + ": 64 points, 4 nodes, replication factor 3"), ring.toString());
    double total = 0;
    Matcher share = Pattern.compile("(?m)^obj-\\d +16 +([0-9.]+)%$").matcher(ring.out());
    int rows = 0;
    while (share.find()) {
      total += Double.parseDouble(share.group(1));
      rows++;
    }
    assertEquals(4, rows, ring.toString());
    assertEquals(100.0, total, 0.05);

    Topology topology = Topology.fromResponse(now);
    List<String> expected = ConsistentHashRing.fromNodes(topology.nodes(),
        topology.ringConfig()).replicasFor("repo/alpha");
    Result lookup = reads.get(3);
    for (int r = 0; r < 3; r++) {
      assertTrue(Pattern.compile("(?m)^" + (r + 1) + " +" + expected.get(r) + " +ACTIVE ")
          .matcher(lookup.out()).find(), lookup.toString());
    }

    assertTrue(reads.get(4).out().contains("healthy:           yes"), reads.get(4).toString());
    assertTrue(reads.get(4).out().contains("nodes:             4 active, 0 suspect, 0 down"),
        reads.get(4).toString());
    assertTrue(reads.get(5).out().startsWith("leader replica-0 at "), reads.get(5).toString());
    // A replay (--since) knows the state before each change from the history.
    assertEquals("v" + version + " updated obj-4 OBJECT ACTIVE 10.0.0.4:7000 zone=z1 "
        + "(was JOINING)", reads.get(6).out().strip(), reads.get(6).toString());
    // history --since pages forward from that version, and says where the next page starts.
    List<String> page = reads.get(7).out().lines().toList();
    assertEquals(3, page.size(), reads.get(7).toString());
    assertTrue(page.get(0).startsWith("v2  ") && page.get(1).startsWith("v3  "), page.toString());
    assertEquals("(more: --since 3)", page.get(2));

    // A resume with nothing paused says so, rather than "resumed".
    Result idle = ok("detector", "resume");
    assertTrue(idle.out().startsWith("SUSPECT->DOWN was not paused by an operator: nothing to "
        + "resume (0 nodes SUSPECT, 0 nodes DOWN)"), idle.toString());

    // drain: DRAINING, through the admin service
    Result drain = ok("drain", "obj-2");
    assertTrue(drain.out().startsWith("node obj-2 is DRAINING (was ACTIVE)"), drain.toString());
    assertEquals(NodeState.NODE_STATE_DRAINING, node("obj-2").getState());

    // watch: a live change arrives while it runs
    long beforeLive = client.getTopology(true).getVersion();
    Running live = CoordCtlProcesses.start(env, "watch", "--max-updates", "2");
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> live.stdout().contains("full_sync"));
    Result deregister = ok("deregister", "obj-4");
    assertTrue(deregister.out().startsWith("node obj-4 deregistered (was ACTIVE)"),
        deregister.toString());
    Result watched = live.await();
    assertEquals(0, watched.code(), watched.toString());
    assertEquals(List.of("v" + beforeLive + " full_sync 4 nodes (0 frontend, 0 metadata, "
        + "4 object)", "v" + (beforeLive + 1) + " removed obj-4 (was ACTIVE)"),
        watched.out().lines().toList());
    assertTrue(client.getTopology(true).getObjectNodesList().stream()
        .noneMatch(n -> n.getId().equals("obj-4")));
  }

  /**
   * The admin commands on a node of their own: drain (the history says "drained by operator"),
   * a refused confirm-down, detector pause / status / resume, history. Three rounds of
   * independent runs side by side (JVM start-up dominates). Leaves no node behind.
   */
  @Test
  void adminSession() throws Exception {
    try {
      List<Result> first = CoordCtlProcesses.runAll(env, List.of(
          new String[] {"register", "--id", "ops-1", "--address", "10.0.1.1", "--port", "7000",
              "--type", "metadata", "--generation", "gen-ops"},
          new String[] {"detector", "pause", "--reason", "process test"}));
      first.forEach(r -> assertEquals(0, r.code(), r.toString()));
      Result pause = first.get(1);
      assertTrue(Pattern.compile("^SUSPECT->DOWN paused by ip:\\S+: process test ")
          .matcher(pause.out()).find(), pause.toString());

      List<Result> second = CoordCtlProcesses.runAll(env, List.of(
          new String[] {"drain", "ops-1"}, new String[] {"detector", "status"}));
      second.forEach(r -> assertEquals(0, r.code(), r.toString()));
      Result drain = second.get(0);
      assertTrue(drain.out().startsWith("node ops-1 is DRAINING (was JOINING); topology version "),
          drain.toString());
      assertEquals(NodeState.NODE_STATE_DRAINING, node("ops-1").getState());
      Result status = second.get(1);
      System.out.print("coordctl detector status:\n" + status.out());
      assertTrue(status.out().startsWith("detector leader:   "), status.toString());
      assertTrue(Pattern.compile("(?m)^paused: +yes, by ip:\\S+ since \\d{4}-.*Z \\(\\d+s ago\\)$")
          .matcher(status.out()).find(), status.toString());
      assertTrue(status.out().contains("pause reason:      process test\n"), status.toString());
      assertTrue(status.out().contains("protected zones:   none\n"), status.toString());

      List<Result> third = CoordCtlProcesses.runAll(env, List.of(
          new String[] {"detector", "resume"}, new String[] {"history", "--node", "ops-1"},
          new String[] {"confirm-down", "ops-1"}));
      Result resume = third.get(0);
      assertEquals(0, resume.code(), resume.toString());
      assertTrue(resume.out().startsWith("SUSPECT->DOWN resumed ("), resume.toString());
      // Every replica's cache follows the pause key: the library's admin client sees it gone.
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> !client.admin().getDetectorState().getPaused());

      Result history = third.get(1);
      assertEquals(0, history.code(), history.toString());
      System.out.print("coordctl history --node ops-1:\n" + history.out());
      List<String> lines = history.out().lines().toList();
      assertEquals(3, lines.size(), history.toString());
      assertTrue(lines.get(2).matches("\\(history goes back to \\d{4}-\\S+Z\\)"),
          history.toString());
      assertTrue(lines.get(0).matches("v\\d+ +\\d{4}-\\S+Z +ops-1 +added +JOINING +registered "
          + "+ip:\\S+"), history.toString());
      assertTrue(lines.get(1).matches("v\\d+ +\\d{4}-\\S+Z +ops-1 +updated +DRAINING \\(was "
          + "JOINING\\) +drained by operator +ip:\\S+"), history.toString());

      // Only a SUSPECT node can be confirmed DOWN: one line saying why, nothing written.
      Result confirm = third.get(2);
      assertEquals(CoordCtl.ERROR, confirm.code(), confirm.toString());
      assertTrue(confirm.err().startsWith("coordctl: FAILED_PRECONDITION: node ops-1 is "
          + "DRAINING: only a SUSPECT node can be confirmed DOWN"), confirm.toString());
      assertEquals(1, confirm.err().lines().count(), confirm.toString());
      assertEquals(NodeState.NODE_STATE_DRAINING, node("ops-1").getState());
    } finally {
      // The other tests count nodes and ring points: leave the topology as it was.
      client.admin().resumeDetector();
      client.deregisterNode("ops-1", "");
    }
  }

  @Test
  void errorsHaveTheirExitCodes() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort(); // nothing listens there once closed
    }
    List<Result> runs = CoordCtlProcesses.runAll(env, List.of(
        new String[] {"drain", "no-such-node"},
        new String[] {"deregister", "no-such-node"},
        new String[] {"topology", "--colour"},
        new String[] {"register", "--id", "no spaces allowed", "--address", "10.0.0.9",
            "--port", "7000", "--type", "object"},
        new String[] {"--endpoints", "127.0.0.1:" + closed, "--timeout", "1s", "health"}));

    assertEquals(CoordCtl.UNKNOWN_NODE, runs.get(0).code(), runs.get(0).toString());
    assertTrue(runs.get(0).err().startsWith("coordctl: unknown node 'no-such-node'"),
        runs.get(0).toString());
    assertEquals(CoordCtl.UNKNOWN_NODE, runs.get(1).code(), runs.get(1).toString());

    assertEquals(CoordCtl.USAGE, runs.get(2).code(), runs.get(2).toString());
    assertTrue(runs.get(2).err().contains("Unknown option: '--colour'"), runs.get(2).toString());
    assertEquals(CoordCtl.USAGE, runs.get(3).code(), runs.get(3).toString());
    assertTrue(runs.get(3).err().contains("INVALID_ARGUMENT"), runs.get(3).toString());

    Result unreachable = runs.get(4);
    assertEquals(CoordCtl.UNREACHABLE, unreachable.code(), unreachable.toString());
    assertTrue(unreachable.err().startsWith("coordctl: cannot reach the coordinator at "
        + "127.0.0.1:" + closed), unreachable.toString());
    assertEquals("", unreachable.out());
  }
}
