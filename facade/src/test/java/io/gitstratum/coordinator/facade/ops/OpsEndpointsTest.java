package io.gitstratum.coordinator.facade.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.it.WatchRecorder;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operations port: health, readiness, Prometheus metrics and the status data. */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpsEndpointsTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> get(FacadeServer server, String path)
      throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthReadinessMetricsAndStatus() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer facade = harness.start("ops");
      CoordinatorServiceBlockingStub stub = harness.stub(facade);
      assertEquals(200, get(facade, "/healthz").statusCode());
      assertEquals(200, get(facade, "/readyz").statusCode());
      // Before any event, each counter an alert takes a rate() of is there, at 0.
      String fresh = get(facade, "/metrics").body();
      for (String expected : List.of(
          "gitstratum_coordinator_etcd_errors_total{operation=\"lease_keep_alive\"} 0.0",
          "gitstratum_coordinator_etcd_errors_total{operation=\"topology_commit\"} 0.0",
          "gitstratum_coordinator_unanswered_commits_total{outcome=\"unknown\"} 0.0",
          "gitstratum_coordinator_heartbeats_total{outcome=\"renewed\"} 0.0",
          "gitstratum_coordinator_heartbeats_total{outcome=\"written\"} 0.0",
          "gitstratum_coordinator_detector_transitions_total{state=\"down\"} 0.0",
          "gitstratum_coordinator_writes_refused_total 0.0",
          "gitstratum_coordinator_heartbeats_shed_total 0.0",
          "gitstratum_coordinator_cache_synced 1.0",
          "gitstratum_coordinator_build_info{")) {
        assertTrue(fresh.contains(expected), "a fresh replica's metrics lack " + expected);
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
          get(facade, "/metrics").body().contains("gitstratum_coordinator_detector_leader 1.0"));

      stub.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node("obj-1"))
          .build());
      stub.heartbeat(TestNodes.beat("obj-1", NodeState.NODE_STATE_ACTIVE));
      stub.heartbeat(TestNodes.beat("obj-1", NodeState.NODE_STATE_ACTIVE));
      WatchRecorder watcher = WatchRecorder.watch(harness.channel(facade), 0);
      watcher.await(TopologyUpdate::hasFullSync, Duration.ofSeconds(10));

      String metrics = get(facade, "/metrics").body();
      for (String expected : List.of(
          "gitstratum_coordinator_rpc_requests_total{code=\"OK\",method=\"RegisterNode\"} 1.0",
          "gitstratum_coordinator_rpc_duration_seconds_bucket{method=\"Heartbeat\"",
          "gitstratum_coordinator_nodes{state=\"active\",type=\"object\"} 1.0",
          "gitstratum_coordinator_topology_version 2.0",
          "gitstratum_coordinator_watch_subscribers 1.0",
          "gitstratum_coordinator_watch_queued_updates",
          "gitstratum_coordinator_etcd_request_duration_seconds_count{operation=\"topology_commit\"}",
          "gitstratum_coordinator_cas_conflicts_total",
          "gitstratum_coordinator_commit_batch_size_count 2",
          "gitstratum_coordinator_heartbeats_total{outcome=\"renewed\"} 1.0",
          "gitstratum_coordinator_heartbeats_total{outcome=\"written\"} 1.0",
          "gitstratum_coordinator_mass_expiry_protection 0.0",
          "gitstratum_coordinator_zone_nodes{state=\"active\",type=\"object\"",
          "jvm_memory_used_bytes")) {
        assertTrue(metrics.contains(expected), "metrics lack " + expected);
      }
      String status = get(facade, "/status.json").body();
      assertTrue(status.contains("\"id\":\"obj-1\""), status);
      assertTrue(status.contains("\"ringShares\":{\"obj-1\":1.0}"), status);
      assertTrue(get(facade, "/status").body().contains("<title>gitstratum coordinator</title>"));
      // The last changes with why and who, read in the background after the version moved.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
        String recent = get(facade, "/status.json").body();
        return recent.contains("\"nodeId\":\"obj-1\",\"kind\":\"added\"")
            && recent.contains("\"reason\":\"registered\"")
            && recent.contains("\"reason\":\"heartbeat reported\"");
      });
      // The first view is rendered by the replica: useful without JavaScript.
      String page = get(facade, "/status").body();
      assertTrue(page.contains("Recent changes"));
      // One object node for three replicas: what is wrong comes first, in words.
      assertTrue(page.contains("<p id=\"verdict\" class=\"verdict verdict-failing\">failing: the "
          + "ring cannot place a key's replicas: 1 of 1 object nodes serve (ACTIVE or DRAINING), 3 "
          + "needed</p>"), page);
      assertTrue(page.contains("<td colspan=6>no node SUSPECT, DOWN or DRAINING</td>"), page);
      assertTrue(page.contains("<span id=\"history-from\">history from 20"), page);
      // When obj-1 last heartbeated, from its lease in etcd (read in the background): etcd
      // counts lease time in whole seconds, so the page's time is up to a second early.
      long before = System.currentTimeMillis();
      stub.heartbeat(TestNodes.beat("obj-1", NodeState.NODE_STATE_ACTIVE));
      long after = System.currentTimeMillis();
      java.util.regex.Pattern beat = java.util.regex.Pattern.compile(
          "\"lastHeartbeat\":\\{\"obj-1\":(\\d+)\\}");
      long shown = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
        java.util.regex.Matcher m = beat.matcher(get(facade, "/status.json").body());
        return m.find() ? Long.parseLong(m.group(1)) : 0L;
      }, at -> at >= before - 1_500);
      assertTrue(shown <= after + 500, "last heartbeat shown at " + shown + ", sent "
          + before + "-" + after);
      assertTrue(get(facade, "/status").body().contains("last heartbeat"));

      etcd.cluster().stopMember(0);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> get(facade, "/readyz").statusCode() == 503);
      assertEquals(200, get(facade, "/healthz").statusCode(), "the process still serves");
      etcd.cluster().restartMember(0);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> get(facade, "/readyz").statusCode() == 200);
    }
  }
}
