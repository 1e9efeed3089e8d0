package io.gitstratum.coordinator.facade.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.etcdlocal.FreePorts;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.Heartbeater;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.server.ListenSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's package) on loopback scraping two replicas every second and
 * evaluating deploy/monitoring/rules.yml, with each alert's {@code for} cut to 2 s (the
 * expressions unchanged): every dashboard query returns data; stopping an etcd member fires
 * GitstratumEtcdMemberDown for that member and restarting it clears it; a node of a zone of three
 * going silent fires GitstratumNodesUnhealthy for that zone, and deregistering it clears it;
 * killing the detector leader fires GitstratumReplicaDown for it (and not
 * GitstratumNoDetectorLeader: the other replica takes over), and a replacement clears it.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrometheusEndToEndTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.threeMembers();

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void alertsFireForRealFaultsAndClearAndTheDashboardHasData(TestInfo test, @TempDir Path dir)
      throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      // Fixed operations ports, so that a replacement replica is the same scrape target.
      List<Integer> httpPorts = FreePorts.pick(2);
      FacadeServer first = harness.start(replica(harness, cluster, httpPorts.get(0)));
      FacadeServer second = harness.start(replica(harness, cluster, httpPorts.get(1)));
      CoordinatorServiceBlockingStub stub = harness.stub(first);
      try (Heartbeater beats = new Heartbeater(List.of(stub, harness.stub(second)));
          Prometheus prometheus = Prometheus.start(dir, first.httpPort(), second.httpPort())) {
        for (String id : List.of("n1", "n2", "n3")) {
          stub.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node(id)
              .toBuilder().putLabels("zone", "eu-1")).build());
          beats.start(id, "g-" + id, 500);
        }
        // Every panel's query answers with at least one series (rates need two scrapes).
        Map<String, Object> dashboard = ManifestsTest.loadYaml(ManifestsTest.repositoryRoot()
            .resolve("deploy/monitoring/dashboard.json")).get(0);
        for (String query : MonitoringTest.dashboardQueries(dashboard)) {
          Awaitility.await("data for " + query).atMost(Duration.ofSeconds(20))
              .pollInterval(Duration.ofMillis(250)).until(() -> prometheus.hasData(query));
        }

        String member = etcd.cluster().member(2).name();
        String memberDown = "ALERTS{alertname=\"GitstratumEtcdMemberDown\",alertstate=\"firing\","
            + "member=\"" + member + "\"}";
        assertTrue(!prometheus.hasData(memberDown), "not firing before the fault");
        etcd.cluster().stopMember(2);
        Awaitility.await("GitstratumEtcdMemberDown fires").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> prometheus.hasData(memberDown));
        etcd.cluster().restartMember(2);
        Awaitility.await("GitstratumEtcdMemberDown clears").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> !prometheus.hasData(memberDown));

        String unhealthy = "ALERTS{alertname=\"GitstratumNodesUnhealthy\",alertstate=\"firing\","
            + "zone=\"eu-1\",type=\"object\"}";
        assertTrue(!prometheus.hasData(unhealthy), "not firing before the fault");
        beats.stop("n3");
        Awaitility.await("GitstratumNodesUnhealthy fires").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> prometheus.hasData(unhealthy));
        stub.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId("n3")
            .setGenerationId("g-n3").build());
        Awaitility.await("GitstratumNodesUnhealthy clears").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> !prometheus.hasData(unhealthy));

        // The detector leader killed: it is reported down, the other replica takes the detector
        // over (so GitstratumNoDetectorLeader has nothing to say), and a replacement on the same
        // address clears the alert.
        String leaderId = stub.getLeader(GetLeaderRequest.getDefaultInstance()).getLeaderId();
        FacadeServer leader = leaderId.equals("replica-0") ? first : second;
        FacadeServer other = leader == first ? second : first;
        String replicaDown = "ALERTS{alertname=\"GitstratumReplicaDown\",alertstate=\"firing\","
            + "instance=\"127.0.0.1:" + leader.httpPort() + "\"}";
        leader.close();
        Awaitility.await("GitstratumReplicaDown fires").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> prometheus.hasData(replicaDown));
        Awaitility.await("the other replica leads").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> prometheus.hasData(
                "gitstratum_coordinator_detector_leader{instance=\"127.0.0.1:" + other.httpPort()
                    + "\"} == 1"));
        assertTrue(!prometheus.hasData("ALERTS{alertname=\"GitstratumNoDetectorLeader\"}"),
            "a leader was elected within the session TTL");
        harness.start(replica(harness, cluster, leader.httpPort()));
        Awaitility.await("GitstratumReplicaDown clears").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(250)).until(() -> !prometheus.hasData(replicaDown));
      }
    }
  }

  /** A replica with fast liveness whose operations port is {@code httpPort}. */
  private static FacadeConfig replica(FacadeHarness harness, String cluster, int httpPort) {
    FacadeConfig config = FacadeHarness.fastLiveness(harness.config(cluster));
    ListenSettings listen = config.listen();
    return config.withListen(new ListenSettings(listen.host(), listen.port(),
        listen.advertiseAddress(), listen.httpHost(), httpPort, listen.replicaId()));
  }

  /** A Prometheus process on a free loopback port, its data in {@code dir}. */
  private record Prometheus(Process process, int port, Path log) implements AutoCloseable {
    static Prometheus start(Path dir, int... targets) throws Exception {
      assertTrue(MonitoringTest.onPath("prometheus"), "prometheus is not installed: run "
          + "deploy/ensure-deps.sh (it installs Debian's prometheus package)");
      Path rules = ManifestsTest.repositoryRoot().resolve("deploy/monitoring/rules.yml");
      Files.writeString(dir.resolve("rules.yml"),
          Files.readString(rules).replaceAll("(?m)^(\\s+)for: \\S+$", "$1for: 2s"));
      StringBuilder hosts = new StringBuilder();
      for (int target : targets) {
        hosts.append(hosts.length() == 0 ? "" : ", ").append("'127.0.0.1:").append(target)
            .append('\'');
      }
      Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
          "global:", "  scrape_interval: 1s", "  scrape_timeout: 900ms",
          "  evaluation_interval: 1s",
          "rule_files: ['rules.yml']",
          "scrape_configs:", "  - job_name: gitstratum-coordinator",
          "    static_configs:", "      - targets: [" + hosts + "]", ""));
      int port = FreePorts.pick(1).get(0);
      Path log = dir.resolve("prometheus.log");
      Process process = new ProcessBuilder("prometheus",
          "--config.file=" + dir.resolve("prometheus.yml"),
          "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Prometheus prometheus = new Prometheus(process, port, log);
      try {
        Awaitility.await("prometheus ready").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(100)).until(prometheus::ready);
      } catch (RuntimeException e) {
        prometheus.close();
        throw new AssertionError("prometheus did not start: " + Files.readString(log), e);
      }
      return prometheus;
    }

    boolean ready() {
      if (!process.isAlive()) {
        throw new IllegalStateException("prometheus exited " + process.exitValue());
      }
      try {
        return get("/-/ready").statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    /** Whether an instant query answers with at least one series. */
    boolean hasData(String query) throws IOException, InterruptedException {
      HttpResponse<String> answer = get("/api/v1/query?query="
          + URLEncoder.encode(query, StandardCharsets.UTF_8));
      if (answer.statusCode() != 200) {
        throw new AssertionError(query + ": " + answer.body());
      }
      return !answer.body().contains("\"result\":[]");
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}
