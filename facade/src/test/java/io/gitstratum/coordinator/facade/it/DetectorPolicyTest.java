package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Zone protection with the default policy on suspect 2 s / down 4 s: a permanent loss ends in
 * DOWN (bounded pause, then the slow rate), a disrupted zone slows without touching the others.
 * The transient case (most nodes silent for twice the down timeout, none DOWN) is DetectorTest's.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DetectorPolicyTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(4);
  private static final Pattern PAUSED_UNTIL = Pattern.compile("\"pausedUntil\":(\\d+)");

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private FacadeHarness harness;
  private String cluster;

  @BeforeEach
  void bind() {
    harness = facades.harness();
    cluster = facades.cluster();
  }

  @Test
  void aPermanentLossOfMostNodesEndsInDownWithinFifteenDownTimeouts() throws Exception {
    FacadeServer server = harness.start(cluster, FacadeHarness::fastLiveness);
    CoordinatorServiceBlockingStub stub = harness.stub(server);
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      register(stub, beats, "", 10);
      long lost = System.nanoTime();
      for (int i = 0; i < 6; i++) {
        beats.stop("n" + i);
      }
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> count(stub, "", NodeState.NODE_STATE_SUSPECT) == 6);
      // The one zone is disrupted: DOWN pauses, and the status page says until when.
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
        Matcher paused = PAUSED_UNTIL.matcher(protection(server));
        return paused.find() && Long.parseLong(paused.group(1)) > System.currentTimeMillis();
      });
      // The pause holds past twice the down timeout, as for a transient outage...
      Awaitility.await().during(DOWN_TIMEOUT.multipliedBy(2)).atMost(DOWN_TIMEOUT.multipliedBy(3))
          .until(() -> count(stub, "", NodeState.NODE_STATE_DOWN) == 0);
      // ... but it is bounded: all six end DOWN, the four others stay ACTIVE throughout.
      Awaitility.await().atMost(DOWN_TIMEOUT.multipliedBy(15).minusNanos(System.nanoTime() - lost))
          .pollInterval(Duration.ofMillis(200))
          .failFast("a healthy node left ACTIVE",
              () -> count(stub, "", NodeState.NODE_STATE_ACTIVE) != 4)
          .until(() -> count(stub, "", NodeState.NODE_STATE_DOWN) == 6);
      System.out.printf("6 of 10 lost for good: all DOWN %.1f s after their last heartbeat%n",
          (System.nanoTime() - lost) / 1e9);
    }
  }

  @Test
  void aDisruptedZoneGoesDownAtTheSlowRateAndTheOtherZoneIsUntouched() throws Exception {
    FacadeServer server = harness.start(cluster, FacadeHarness::fastLiveness);
    CoordinatorServiceBlockingStub stub = harness.stub(server);
    try (Heartbeater beats = new Heartbeater(List.of(stub))) {
      register(stub, beats, "a", 5);
      register(stub, beats, "b", 5);
      long lost = System.nanoTime();
      for (int i = 0; i < 4; i++) {
        beats.stop("a" + i);
      }
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> count(stub, "a", NodeState.NODE_STATE_SUSPECT) == 4);
      // Zone a is slowed, not paused; zone b is not protected. (Its first DOWN may already have
      // happened on a slow machine, so the counts are not fixed.)
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> protection(server)
          .matches("\\{\"pausedUntil\":0,\"zones\":\\[\\{\"zone\":\"a\",\"live\":\\d+,"
              + "\"suspect\":\\d+,\"since\":\\d+}]}"));
      awaitDown(stub, "a", 4, beats);
      assertEquals(5, count(stub, "b", NodeState.NODE_STATE_ACTIVE));
      // When each went DOWN, as the change history recorded it (the detector's own clock).
      List<Long> downAt = CoordinatorAdminGrpc.newBlockingStub(harness.channel(server))
          .getHistory(GetHistoryRequest.getDefaultInstance()).getChangesList().stream()
          .filter(c -> c.getNodeId().startsWith("a") && c.getState() == NodeState.NODE_STATE_DOWN)
          .map(Change::getAt).sorted().toList();
      assertEquals(4, downAt.size(), downAt.toString());
      assertTrue(downAt.get(1) - downAt.get(0) >= DOWN_TIMEOUT.toMillis() * 3 / 4,
          "one DOWN per down timeout in a disrupted zone, got " + downAt);
      long lostAtMs = System.currentTimeMillis() - (System.nanoTime() - lost) / 1_000_000;
      System.out.printf("zone a lost 4 of 5: DOWN at %.1f s, %.1f s, %.1f s, %.1f s%n",
          (downAt.get(0) - lostAtMs) / 1e3, (downAt.get(1) - lostAtMs) / 1e3,
          (downAt.get(2) - lostAtMs) / 1e3, (downAt.get(3) - lostAtMs) / 1e3);
    }
  }

  /** Waits until {@code n} nodes of the zone are DOWN, failing at once if zone b is touched. */
  private static void awaitDown(CoordinatorServiceBlockingStub stub, String zone, int n,
      Heartbeater beats) {
    Awaitility.await().atMost(DOWN_TIMEOUT.multipliedBy(10))
        .pollInterval(Duration.ofMillis(100))
        .failFast("a node of the healthy zone left ACTIVE",
            () -> count(stub, "b", NodeState.NODE_STATE_ACTIVE) != 5)
        .until(() -> count(stub, zone, NodeState.NODE_STATE_DOWN) >= n);
  }

  private static void register(CoordinatorServiceBlockingStub stub, Heartbeater beats,
      String zone, int n) {
    String prefix = zone.isEmpty() ? "n" : zone;
    for (int i = 0; i < n; i++) {
      NodeInfo.Builder node = TestNodes.node(prefix + i).toBuilder();
      if (!zone.isEmpty()) {
        node.putLabels("zone", zone);
      }
      stub.registerNode(RegisterNodeRequest.newBuilder().setNode(node).build());
      beats.start(prefix + i, "g-" + prefix + i, 500);
    }
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> count(stub, zone, NodeState.NODE_STATE_ACTIVE) == n);
  }

  private static long count(CoordinatorServiceBlockingStub stub, String zone, NodeState state) {
    return stub.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getObjectNodesList().stream()
        .filter(n -> n.getLabelsOrDefault("zone", "").equals(zone) && n.getState() == state)
        .count();
  }

  /** The status page's protection object. */
  private static String protection(FacadeServer server) throws IOException,
      InterruptedException {
    String status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/status.json")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    int start = status.indexOf("\"protection\":") + "\"protection\":".length();
    return status.substring(start, status.indexOf(",\"paused\":", start));
  }
}
