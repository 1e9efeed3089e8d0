package io.gitstratum.coordinator.facade.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.store.CommitCheck;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every series a dashboard or alert reads exists from the start, with label values fit for it. */
class FacadeMetricsTest {
  static String scrape(FacadeMetrics metrics) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aFreshReplicaExportsEveryCounterAtZero() throws IOException {
    String text = scrape(new FacadeMetrics());
    List<String> expected = new ArrayList<>();
    for (String operation : FacadeMetrics.ETCD_OPERATIONS) {
      expected.add("gitstratum_coordinator_etcd_errors_total{operation=\"" + operation
          + "\"} 0.0");
      expected.add("gitstratum_coordinator_etcd_request_duration_seconds_count{operation=\""
          + operation + "\"} 0");
    }
    for (String outcome : List.of("committed", "not_committed", "unknown")) {
      expected.add("gitstratum_coordinator_unanswered_commits_total{outcome=\"" + outcome
          + "\"} 0.0");
    }
    for (String outcome : List.of("renewed", "written")) {
      expected.add("gitstratum_coordinator_heartbeats_total{outcome=\"" + outcome + "\"} 0.0");
    }
    for (String state : List.of("suspect", "down")) {
      expected.add("gitstratum_coordinator_detector_transitions_total{state=\"" + state
          + "\"} 0.0");
    }
    for (String counter : List.of("cas_conflicts_total", "writes_refused_total",
        "heartbeats_shed_total", "keepalive_stream_resets_total")) {
      expected.add("gitstratum_coordinator_" + counter + " 0.0");
    }
    expected.add("gitstratum_coordinator_commit_batch_size_count 0");
    expected.add("gitstratum_coordinator_build_info{java_version=\""
        + System.getProperty("java.version") + "\",version=\"");
    for (String line : expected) {
      assertTrue(text.contains(line), () -> "a fresh replica lacks " + line + "\n" + text);
    }
  }

  @Test
  void labelValuesHaveNoSpaces() throws IOException {
    FacadeMetrics metrics = new FacadeMetrics();
    metrics.etcdDone("lease keep-alive", System.nanoTime(), false);
    String text = scrape(metrics);
    assertTrue(text.contains(
        "gitstratum_coordinator_etcd_errors_total{operation=\"lease_keep_alive\"} 1.0"), text);
    // Our own series only: the JVM's name collectors as the JVM does ("G1 Young Generation").
    text.lines().filter(line -> line.startsWith("gitstratum_")).forEach(line -> {
      Matcher labels = Pattern.compile("=\"([^\"]*)\"").matcher(line);
      while (labels.find()) {
        assertFalse(labels.group(1).contains(" "), "label value with a space: " + line);
      }
    });
  }

  @Test
  void everyOperationTheStoreNamesIsKnown() throws IOException {
    Pattern named = Pattern.compile(
        "(?:,\\s*|etcd(?:Done)?\\(\\s*)\"([a-z][a-z -]*[a-z])\"(?:\\)|,)");
    TreeSet<String> found = new TreeSet<>();
    for (String etcdSide : List.of("store", "lease", "etcd")) {
      try (Stream<Path> files = Files.list(
          Path.of("src/main/java/io/gitstratum/coordinator/facade", etcdSide))) {
        for (Path file : files.toList()) {
          Matcher m = named.matcher(Files.readString(file));
          while (m.find()) {
            found.add(FacadeMetrics.operationLabel(m.group(1)));
          }
        }
      }
    }
    assertTrue(found.size() >= 10, "found only " + found);
    assertTrue(FacadeMetrics.ETCD_OPERATIONS.containsAll(found),
        () -> "not in FacadeMetrics.ETCD_OPERATIONS: " + found.stream()
            .filter(op -> !FacadeMetrics.ETCD_OPERATIONS.contains(op)).toList());
  }

  @Test
  void unansweredOutcomesAreTheCommitCheckOutcomes() {
    assertEquals(Arrays.stream(CommitCheck.Outcome.values())
        .map(o -> o.name().toLowerCase(Locale.ROOT)).toList(),
        FacadeMetrics.UNANSWERED_OUTCOMES);
  }

  @Test
  void replicaAndZoneGauges() throws IOException {
    FacadeMetrics metrics = new FacadeMetrics();
    Topology topology = Topology.of(3, List.of(
        node("a", "eu-1", NodeState.NODE_STATE_ACTIVE),
        node("b", "eu-1", NodeState.NODE_STATE_SUSPECT),
        node("c", "", NodeState.NODE_STATE_ACTIVE)), HashRingConfig.getDefaultInstance());
    metrics.observeReplica(() -> true, () -> false, () -> true);
    metrics.observeZones(() -> topology, "zone");
    Map<String, Boolean> members = new LinkedHashMap<>();
    members.put("etcd-0", true);
    members.put("etcd-1", false);
    metrics.observeEtcdMembers(() -> members);
    String text = scrape(metrics);
    for (String line : List.of("gitstratum_coordinator_cache_synced 1.0",
        "gitstratum_coordinator_detector_leader 0.0",
        "gitstratum_coordinator_detector_operator_paused 1.0",
        "gitstratum_coordinator_zone_nodes{state=\"active\",type=\"object\",zone=\"eu-1\"} 1.0",
        "gitstratum_coordinator_zone_nodes{state=\"suspect\",type=\"object\",zone=\"eu-1\"} 1.0",
        "gitstratum_coordinator_zone_nodes{state=\"active\",type=\"object\","
            + "zone=\"_unlabelled\"} 1.0",
        "gitstratum_coordinator_etcd_members 2.0",
        "gitstratum_coordinator_etcd_members_answering 1.0",
        "gitstratum_coordinator_etcd_member_up{member=\"etcd-0\"} 1.0",
        "gitstratum_coordinator_etcd_member_up{member=\"etcd-1\"} 0.0")) {
      assertTrue(text.contains(line), () -> "lacks " + line + "\n" + text);
    }
  }

  @Test
  void zonesBeyondTheBoundAreSummed() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int zone = 0; zone < ZoneCounts.MAX_ZONES + 10; zone++) {
      // zone z0 has the most nodes; the 10 smallest fall under _other
      for (int i = 0; i <= ZoneCounts.MAX_ZONES + 10 - zone; i++) {
        nodes.add(node("n" + zone + "-" + i, "z" + zone, NodeState.NODE_STATE_ACTIVE));
      }
    }
    List<ZoneCounts.Count> counts = ZoneCounts.of(nodes, "zone");
    assertEquals(ZoneCounts.MAX_ZONES + 1, counts.size());
    assertEquals(nodes.size(), counts.stream().mapToInt(ZoneCounts.Count::nodes).sum());
    assertTrue(counts.stream().anyMatch(c -> c.zone().equals("z0")));
    assertEquals(2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11, counts.stream()
        .filter(c -> c.zone().equals(ZoneCounts.OTHER)).mapToInt(ZoneCounts.Count::nodes).sum());
  }

  private static NodeInfo node(String id, String zone, NodeState state) {
    NodeInfo.Builder node = NodeInfo.newBuilder().setId(id).setType(NodeType.NODE_TYPE_OBJECT)
        .setState(state);
    if (!zone.isEmpty()) {
      node.putLabels("zone", zone);
    }
    return node.build();
  }
}
