package io.gitstratum.coordinator.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.DetectorEvent;
import io.gitstratum.coordinator.admin.DetectorState;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.client.errors.ClientErrors;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.proto.EtcdMember;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.ProtectedZone;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Flag handling and exit codes that need no facade; every subcommand against a real one is in
 * the facade module's {@code clientit.CoordCtlProcessTest}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CoordCtlTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = CoordCtl.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "topology --bogus | Unknown option: '--bogus'",
      "nonsense | Unmatched argument",
      "topolgy | Did you mean: coordctl topology",
      "register --id x --address h --port 1 --type weird | 'weird' is not a node type",
      "register --id x --address h --port 0 --type object | --port must be 1-65535",
      "--timeout soon topology | 'soon' is not a duration",
      "--endpoints a:b topology | bad --endpoints 'a:b'",
      "drain | Missing required parameter: 'NODE'",
      "watch --since -1 | --since and --max-updates must be >= 0",
      "ring lookup --object-id abc | --object-id needs 64 hex digits",
      "heartbeat n1 | Missing required option: '--generation=<generation>'",
      "heartbeat n1 --generation g --state down | 'down' is not a state a node reports",
      "heartbeat n1 --generation g --every 0s | --every must be > 0",
      "detector | missing subcommand: status, pause or resume",
      "detector pause | Missing required option: '--reason=TEXT'",
      "detector stop | Unmatched argument",
      "confirm-down | Missing required parameter: 'NODE'",
      "history --limit 0 | --limit must be 1-1000",
      "history --limit 1001 | --limit must be 1-1000",
      "history --since -1 | --since must be >= 0",
      "history --since soon | Invalid value for option '--since'",
      "register --id x --address h --port 1 --type object --label zone | Value for option "
          + "'--label' (KEY=VALUE) should be in KEY=VALUE format",
  })
  void badFlagsExitWith2AndSayWhy(String args, String message) {
    Run run = run(args.trim().split(" +"));
    assertEquals(CoordCtl.USAGE, run.code(), run.err());
    assertTrue(run.err().contains(message), run.err());
    assertTrue(run.err().startsWith("coordctl: "), run.err());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "register --help | Usage: coordctl register",
      "topology --help | Usage: coordctl topology",
      "ring --help | Usage: coordctl ring",
      "ring lookup --help | Usage: coordctl ring lookup",
      "watch -h | Usage: coordctl watch",
      "help register | Usage: coordctl register",
      "help | Commands:",
      "heartbeat --help | Usage: coordctl heartbeat",
      "detector --help | Usage: coordctl detector",
      "detector status --help | Usage: coordctl detector status",
      "detector pause --help | Usage: coordctl detector pause",
      "detector resume -h | Usage: coordctl detector resume",
      "confirm-down --help | Usage: coordctl confirm-down",
      "history --help | Usage: coordctl history",
      "help history | Usage: coordctl history",
      "drain --help | Usage: coordctl drain",
  })
  void helpWorksOnEverySubcommandWithoutItsRequiredOptions(String args, String usage) {
    Run run = run(args.trim().split(" +"));
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains(usage), run.out() + run.err());
  }

  @Test
  void theHelpListingNamesTheAdminCommands() {
    Run run = run("help");
    assertEquals(0, run.code(), run.err());
    for (String command : List.of("history", "detector", "drain", "confirm-down")) {
      assertTrue(Pattern.compile("(?m)^ +" + command + " +\\S").matcher(run.out()).find(),
          command + " in\n" + run.out());
    }
    assertTrue(run.out().contains("gitstratum://operator/<name>"), run.out());
  }

  @Test
  void aBlankPauseReasonIsRefused() {
    Run run = run("detector", "pause", "--reason", "  ");
    assertEquals(CoordCtl.USAGE, run.code(), run.err());
    assertTrue(run.err().startsWith("coordctl: --reason must not be empty"), run.err());
    assertTrue(run.err().contains("Run 'coordctl detector pause --help'"), run.err());
  }

  @Test
  void noArgumentsPrintsTheUsage() {
    Run run = run();
    assertEquals(CoordCtl.USAGE, run.code());
    assertTrue(run.err().contains("Commands:"), run.err());
  }

  @Test
  void anUnreachableFacadeExitsWith3() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort(); // free once closed: nothing listens there
    }
    Run run = run("--endpoints", "127.0.0.1:" + port, "--timeout", "1s", "topology");
    assertEquals(CoordCtl.UNREACHABLE, run.code(), run.err());
    assertTrue(run.err().startsWith("coordctl: cannot reach the coordinator at 127.0.0.1:"
        + port), run.err());
    assertEquals("", run.out());
  }

  @Test
  void anHttpPortGivenAsEndpointExitsWith3AndNamesTheGrpcPort() throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/", exchange -> {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    http.start();
    try {
      String endpoint = "127.0.0.1:" + http.getAddress().getPort();
      Run run = run("--endpoints", endpoint, "--timeout", "2s", "topology");
      assertEquals(CoordCtl.UNREACHABLE, run.code(), run.err());
      assertEquals("coordctl: the endpoint " + endpoint + " answered, but not in gRPC: is it an "
          + "HTTP port, such as the facade's status page and metrics (--http-listen, default "
          + "9090)? Its gRPC port is --listen (default 9000)\n", run.err());
    } finally {
      http.stop(0);
    }
  }

  @Test
  void countsAndDurationsReadAsWritten() {
    assertEquals("1 node", Formats.count(1, "node"));
    assertEquals("0 nodes", Formats.count(0, "node"));
    assertEquals("3 nodes", Formats.count(3, "node"));
    assertEquals("10s", Formats.duration(Duration.ofSeconds(10)));
    assertEquals("500ms", Formats.duration(Duration.ofMillis(500)));
    assertEquals("1.5s", Formats.duration(Duration.ofMillis(1500)));
    assertEquals("2m", Formats.duration(Duration.ofMinutes(2)));
    assertEquals("90s", Formats.duration(Duration.ofSeconds(90)));
    assertEquals("60s", Formats.duration(Duration.ofSeconds(60)));
  }

  @Test
  void durationsTakeTheFacadesSyntax() {
    CoordCtl.DurationConverter d = new CoordCtl.DurationConverter();
    assertEquals(Duration.ofMillis(500), d.convert("500ms"));
    assertEquals(Duration.ofSeconds(5), d.convert("5s"));
    assertEquals(Duration.ofMinutes(2), d.convert("2m"));
    assertEquals(Duration.ofSeconds(3), d.convert("PT3S"));
    assertThrows(CommandLine.TypeConversionException.class, () -> d.convert("5 parsecs"));
  }

  @Test
  void historyIsOneLinePerChangeInColumns() {
    long at = Instant.parse("2026-11-30T11:02:03.456Z").toEpochMilli();
    GetHistoryResponse history = GetHistoryResponse.newBuilder()
        .setOldestRetainedVersion(40)
        .addChanges(Change.newBuilder().setVersion(40).setAt(at - 60_000).setNodeId("obj-12")
            .setKind("added").setState(NodeState.NODE_STATE_JOINING).setReason("registered")
            .setActor("ip:10.0.0.7:41234"))
        .addChanges(Change.newBuilder().setVersion(41).setKind("ring").setReason("unrecorded"))
        .addChanges(Change.newBuilder().setVersion(42).setAt(at).setNodeId("obj-1")
            .setKind("updated").setState(NodeState.NODE_STATE_SUSPECT)
            .setPreviousState(NodeState.NODE_STATE_ACTIVE)
            .setReason("lease expired").setActor("detector:replica-0"))
        .addChanges(Change.newBuilder().setVersion(43).setAt(at).setNodeId("obj-1")
            .setKind("removed").setPreviousState(NodeState.NODE_STATE_SUSPECT)
            .setReason("deregistered").setActor("operator:alice"))
        .addChanges(Change.newBuilder().setVersion(44).setAt(at).setNodeId("obj-2")
            .setKind("removed").setReason("unrecorded"))
        .build();
    assertEquals("""
        v40  2026-11-30T11:01:03Z  obj-12  added    JOINING               registered     ip:10.0.0.7:41234
        v41  -                     -       ring     -                     unrecorded     -
        v42  2026-11-30T11:02:03Z  obj-1   updated  SUSPECT (was ACTIVE)  lease expired  detector:replica-0
        v43  2026-11-30T11:02:03Z  obj-1   removed  (was SUSPECT)         deregistered   operator:alice
        v44  2026-11-30T11:02:03Z  obj-2   removed  -                     unrecorded     -
        """, Formats.history(history, 0));
    // Changes after version 30 were asked for, but the log starts at 40: say so first.
    assertTrue(Formats.history(history, 30).startsWith("(oldest retained version 40)\nv40  "));
    assertTrue(Formats.history(history, 39).startsWith("v40  "));
    assertEquals("(no changes)\n", Formats.history(GetHistoryResponse.getDefaultInstance(), 5));
  }

  @Test
  void detectorEventsGoAmongTheChangesByTime() {
    long at = Instant.parse("2026-11-30T11:02:03Z").toEpochMilli();
    GetHistoryResponse history = GetHistoryResponse.newBuilder()
        .addChanges(Change.newBuilder().setVersion(7).setAt(at).setNodeId("obj-1")
            .setKind("updated").setState(NodeState.NODE_STATE_SUSPECT)
            .setPreviousState(NodeState.NODE_STATE_ACTIVE)
            .setReason("lease expired").setActor("detector:r0"))
        .addChanges(Change.newBuilder().setVersion(8).setAt(at + 60_000).setNodeId("obj-1")
            .setKind("updated").setState(NodeState.NODE_STATE_DOWN)
            .setPreviousState(NodeState.NODE_STATE_SUSPECT)
            .setReason("grace expired").setActor("detector:r0"))
        .addDetectorEvents(DetectorEvent.newBuilder().setAt(at - 1000).setKind("paused")
            .setActor("operator:alice").setReason("rack 4 maintenance"))
        .addDetectorEvents(DetectorEvent.newBuilder().setAt(at + 30_000).setKind("resumed")
            .setActor("operator:alice"))
        .addDetectorEvents(DetectorEvent.newBuilder().setAt(at + 90_000).setKind("zone protected")
            .setZone("eu-1a").setReason("5 of 8 live nodes SUSPECT").setActor("detector:r0"))
        .build();
    assertEquals("""
        -   2026-11-30T11:02:02Z  -      paused          -                     rack 4 maintenance         operator:alice
        v7  2026-11-30T11:02:03Z  obj-1  updated         SUSPECT (was ACTIVE)  lease expired              detector:r0
        -   2026-11-30T11:02:33Z  -      resumed         -                     -                          operator:alice
        v8  2026-11-30T11:03:03Z  obj-1  updated         DOWN (was SUSPECT)    grace expired              detector:r0
        -   2026-11-30T11:03:33Z  eu-1a  zone protected  -                     5 of 8 live nodes SUSPECT  detector:r0
        """, Formats.history(history, 0));
  }

  @Test
  void detectorStatusShowsPauseZonesAndCounts() {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    DetectorState state = DetectorState.newBuilder().setLeaderId("replica-1").setPaused(true)
        .setPausedBy("operator:alice").setPauseReason("rack 4 maintenance")
        .setPausedAt(now.minusSeconds(90).toEpochMilli())
        .setDownPausedUntil(now.plusSeconds(20).toEpochMilli())
        .addProtectedZones(ProtectedZone.newBuilder().setZone("eu-1a").setLive(5).setSuspect(4)
            .setSince(now.minusSeconds(7).toEpochMilli()))
        .addProtectedZones(ProtectedZone.newBuilder().setLive(3).setSuspect(3))
        .setSuspectNodes(7).setDownNodes(1).setTopologyVersion(42).build();
    assertEquals("""
        detector leader:   replica-1
        paused:            yes, by operator:alice since 2026-11-30T11:58:30Z (90s ago)
        pause reason:      rack 4 maintenance
        down paused until: 2026-11-30T12:00:20Z (in 20s), every zone disrupted
        protected zones:   2
          ZONE        LIVE  SUSPECT  SINCE
          eu-1a       5     4        2026-11-30T11:59:53Z (7s ago)
          (no label)  3     3        -
        nodes:             7 suspect, 1 down
        topology version:  42
        """, Formats.detector(state, clock));
    assertEquals("""
        detector leader:   none
        paused:            no
        down paused until: no
        protected zones:   none
        nodes:             0 suspect, 0 down
        topology version:  0
        """, Formats.detector(DetectorState.getDefaultInstance(), clock));
  }

  @Test
  void tablesPadColumns() {
    String table = new Formats.Table("ID", "STATE").row("obj-1", "ACTIVE").row("o", "-")
        .toString();
    assertEquals("ID     STATE\nobj-1  ACTIVE\no      -\n", table);
  }

  @Test
  void healthSaysWhyItIsUnhealthy() {
    HealthCheckResponse protecting = HealthCheckResponse.newBuilder().addProtectedZones(
        ProtectedZone.newBuilder().setZone("eu-1a").setLive(5).setSuspect(4)).build();
    assertTrue(HealthCommand.why(protecting).contains("1 zone(s) are SUSPECT"));
    assertTrue(HealthCommand.why(HealthCheckResponse.getDefaultInstance())
        .contains("does not follow etcd"));
  }

  @Test
  void healthNamesTheEtcdMemberThatDoesNotAnswer() {
    HealthCheckResponse health = HealthCheckResponse.newBuilder().setHealthy(true)
        .addEtcdMembers(EtcdMember.newBuilder().setName("etcd-0").setAnswers(true))
        .addEtcdMembers(EtcdMember.newBuilder().setName("etcd-1").setAnswers(true)
            .setProblem("NOSPACE"))
        .addEtcdMembers(EtcdMember.newBuilder().setName("etcd-2")
            .setEndpoint("http://10.0.0.3:2379").setProblem("no answer within 2000 ms"))
        .build();
    assertEquals("2 of 3 answer; etcd-1: NOSPACE; etcd-2 (http://10.0.0.3:2379) does not: "
        + "no answer within 2000 ms", HealthCommand.members(health));
    assertEquals("yes, but 1 of 3 etcd members does not answer", HealthCommand.verdict(health));
    assertEquals("not checked yet",
        HealthCommand.members(HealthCheckResponse.getDefaultInstance()));
  }

  @Test
  void tlsMismatchesComeWithAHint() {
    assertTrue(CoordCtl.tlsHint("SSLHandshakeException: Received fatal alert: bad_certificate",
        true, false).contains("requires a client certificate"));
    assertTrue(CoordCtl.tlsHint("Received fatal alert: bad_certificate", true, true)
        .contains("refused this client certificate"));
    assertTrue(CoordCtl.tlsHint("PKIX path building failed", true, false)
        .contains("does not trust the facade's certificate"));
    assertTrue(CoordCtl.tlsHint("UNAVAILABLE: Network closed for unknown reason", false, false)
        .contains("does the facade require TLS"));
    assertTrue(CoordCtl.tlsHint("UNAVAILABLE: Network closed for unknown reason", true, false)
        .contains("plaintext"));
    assertEquals("", CoordCtl.tlsHint("UNAVAILABLE: Connection refused", false, false));
  }

  @Test
  void aFacadeThatAnswersWithoutEtcdIsNotCalledUnreachable() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(io.grpc.Status.Code.UNAVAILABLE.value())
        .setMessage("etcd did not answer topology read within PT3S")
        .addDetails(com.google.protobuf.Any.pack(com.google.rpc.ErrorInfo.newBuilder()
            .setDomain("gitstratum.io").setReason("ETCD_UNAVAILABLE").build()))
        .build();
    UnavailableException e = (UnavailableException) ClientErrors.fromThrowable(
        io.grpc.protobuf.StatusProto.toStatusRuntimeException(status), "h:1");
    assertTrue(CoordCtl.unavailable(e, "h:1", false, false)
        .startsWith("the coordinator at h:1 answered but cannot reach etcd (ETCD_UNAVAILABLE)"));
  }

  @Test
  void aTopologyFromAReplicaThatDoesNotFollowEtcdComesWithAWarning() {
    assertTrue(TopologyCommand.staleWarning(HealthCheckResponse.getDefaultInstance()).orElseThrow()
        .contains("may be stale"));
    assertTrue(TopologyCommand.staleWarning(HealthCheckResponse.newBuilder().setHealthy(true)
        .build()).isEmpty());
    assertTrue(TopologyCommand.staleWarning(HealthCheckResponse.newBuilder().addProtectedZones(
        ProtectedZone.getDefaultInstance()).build()).isEmpty(), "protection is not staleness");
  }
}
