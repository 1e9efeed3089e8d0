package io.gitstratum.coordinator.facade.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring against itself, the metrics and Prometheus's own tool: the rules pass
 * {@code promtool check rules} and every alert's unit test in {@code promtool test rules}; the
 * PrometheusRule carries exactly the rules file's groups; every alert has a test that makes it
 * fire and a runbook paragraph; the ServiceMonitor selects the metrics Service's port; the
 * dashboard and rules name only series a replica exports or a rule records.
 */
class MonitoringTest {
  private static final Path ROOT = ManifestsTest.repositoryRoot();
  private static final Path MONITORING = ROOT.resolve("deploy/monitoring");
  private static final Pattern EXPORTED = Pattern.compile("gitstratum_coordinator_[a-z_]+");
  private static final Pattern RECORDED = Pattern.compile("gitstratum:[a-z_0-9:]+");

  @Test
  void promtoolChecksTheRulesAndRunsTheirUnitTests() throws Exception {
    assertEquals("", run("promtool", "check", "rules", "rules.yml").replaceAll(
        "(?m)^(Checking rules.yml|  SUCCESS: \\d+ rules found)\\n", "").strip());
    String tests = run("promtool", "test", "rules", "rules.test.yml");
    assertTrue(tests.contains("SUCCESS"), tests);
  }

  @Test
  void thePrometheusRuleCarriesTheRulesFileGroups() throws IOException {
    Object groups = ManifestsTest.loadYaml(MONITORING.resolve("rules.yml")).get(0).get("groups");
    Map<String, Object> rule = ManifestsTest.loadYaml(MONITORING.resolve("prometheusrule.yaml"))
        .get(0);
    assertEquals("PrometheusRule", rule.get("kind"));
    assertEquals(groups, ((Map<?, ?>) rule.get("spec")).get("groups"),
        "prometheusrule.yaml differs from rules.yml: run deploy/monitoring/"
            + "generate-prometheusrule.sh");
  }

  @Test
  void everyAlertHasAFiringTestAndARunbookParagraph() throws IOException {
    Set<String> alerts = alerts();
    assertTrue(alerts.size() >= 12, alerts.toString());
    Set<String> fired = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    for (Object test : (List<?>) ManifestsTest.loadYaml(MONITORING.resolve("rules.test.yml"))
        .get(0).get("tests")) {
      for (Object check : (List<?>) ((Map<?, ?>) test).get("alert_rule_test")) {
        Map<?, ?> c = (Map<?, ?>) check;
        boolean fires = !((List<?>) c.get("exp_alerts")).isEmpty();
        (fires ? fired : quiet).add((String) c.get("alertname"));
      }
    }
    assertEquals(alerts, fired, "each alert has a test where it fires");
    assertEquals(alerts, quiet, "each alert has a time in its test where it does not fire yet");
    String runbook = Files.readString(ROOT.resolve("docs/RUNBOOK.md"));
    for (Map<?, ?> alert : alertRules()) {
      String name = (String) alert.get("alert");
      assertTrue(runbook.contains("\n### " + name + "\n"), "docs/RUNBOOK.md has no " + name);
      assertEquals("docs/RUNBOOK.md#" + name.toLowerCase(java.util.Locale.ROOT),
          ((Map<?, ?>) alert.get("annotations")).get("runbook"));
    }
  }

  @Test
  void theServiceMonitorSelectsTheMetricsServicePort() throws IOException {
    Map<String, Object> monitor = ManifestsTest.loadYaml(
        MONITORING.resolve("servicemonitor.yaml")).get(0);
    Map<?, ?> spec = (Map<?, ?>) monitor.get("spec");
    Map<?, ?> wanted = (Map<?, ?>) ((Map<?, ?>) spec.get("selector")).get("matchLabels");
    List<Map<String, Object>> selected = new ArrayList<>();
    for (Map<String, Object> service : ManifestsTest.loadYaml(
        ROOT.resolve("deploy/k8s/facade-services.yaml"))) {
      Map<?, ?> labels = (Map<?, ?>) ((Map<?, ?>) service.get("metadata")).get("labels");
      if (labels.entrySet().containsAll(wanted.entrySet())) {
        selected.add(service);
      }
    }
    assertEquals(1, selected.size(), "the ServiceMonitor selects the metrics Service only");
    Map<?, ?> service = selected.get(0);
    String port = (String) ((Map<?, ?>) ((List<?>) spec.get("endpoints")).get(0)).get("port");
    assertTrue(((List<?>) ((Map<?, ?>) service.get("spec")).get("ports")).stream()
        .anyMatch(p -> port.equals(((Map<?, ?>) p).get("name"))), "port " + port);
    // rules.yml's GitstratumReplicaDown selects job="gitstratum-coordinator": the job label
    // comes from the Service label jobLabel names.
    Map<?, ?> serviceLabels = (Map<?, ?>) ((Map<?, ?>) service.get("metadata")).get("labels");
    assertEquals("gitstratum-coordinator", serviceLabels.get(spec.get("jobLabel")));
  }

  @Test
  void theDashboardAndRulesNameOnlyExportedOrRecordedSeries() throws IOException {
    Set<String> exported = exportedNames();
    Set<String> recorded = alertAndRecordRules().stream().filter(r -> r.containsKey("record"))
        .map(r -> (String) r.get("record")).collect(Collectors.toSet());
    // JSON is YAML: one parser for all of deploy/.
    Map<String, Object> dashboard = ManifestsTest.loadYaml(MONITORING.resolve("dashboard.json"))
        .get(0);
    List<String> queries = new ArrayList<>(dashboardQueries(dashboard));
    assertTrue(queries.size() >= 20, queries.toString());
    alertAndRecordRules().forEach(r -> queries.add((String) r.get("expr")));
    for (String query : queries) {
      Matcher m = EXPORTED.matcher(query);
      while (m.find()) {
        assertTrue(exported.contains(m.group()), "not exported by a replica: " + m.group()
            + " in " + query);
      }
      Matcher r = RECORDED.matcher(query);
      while (r.find()) {
        assertTrue(recorded.contains(r.group()), "not recorded by rules.yml: " + r.group());
      }
    }
    Set<Object> ids = new TreeSet<>();
    ((List<?>) dashboard.get("panels")).forEach(p ->
        assertTrue(ids.add(String.valueOf(((Map<?, ?>) p).get("id"))), "panel ids are unique"));
  }

  /** Every expression of every panel of the dashboard. */
  static List<String> dashboardQueries(Map<String, Object> dashboard) {
    List<String> out = new ArrayList<>();
    for (Object panel : (List<?>) dashboard.get("panels")) {
      Object targets = ((Map<?, ?>) panel).get("targets");
      if (targets != null) {
        ((List<?>) targets).forEach(t -> out.add((String) ((Map<?, ?>) t).get("expr")));
      }
    }
    return out;
  }

  private static Set<String> exportedNames() throws IOException {
    FacadeMetrics metrics = new FacadeMetrics();
    Topology topology = Topology.of(1, List.of(NodeInfo.newBuilder().setId("n")
        .setType(NodeType.NODE_TYPE_OBJECT).setState(NodeState.NODE_STATE_ACTIVE).build()),
        HashRingConfig.getDefaultInstance());
    metrics.observeState(() -> topology, () -> 0, () -> 0, () -> false, () -> 0, () -> false);
    metrics.observeFullSyncs(() -> 0, () -> 0);
    metrics.observeReplica(() -> true, () -> true, () -> false);
    metrics.observeZones(() -> topology, "zone");
    metrics.observeEtcdMembers(() -> Map.of("etcd-0", true));
    metrics.rpc("Heartbeat", "OK", 1_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#"))
        .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toSet());
  }

  private static Set<String> alerts() throws IOException {
    return alertRules().stream().map(r -> (String) r.get("alert"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static List<Map<?, ?>> alertRules() throws IOException {
    return alertAndRecordRules().stream().filter(r -> r.containsKey("alert")).toList();
  }

  private static List<Map<?, ?>> alertAndRecordRules() throws IOException {
    List<Map<?, ?>> rules = new ArrayList<>();
    for (Object group : (List<?>) ManifestsTest.loadYaml(MONITORING.resolve("rules.yml")).get(0)
        .get("groups")) {
      ((List<?>) ((Map<?, ?>) group).get("rules")).forEach(r -> rules.add((Map<?, ?>) r));
    }
    return rules;
  }

  /** Runs a Prometheus tool in deploy/monitoring; its output, or a failure that says why. */
  static String run(String... command) throws Exception {
    assertTrue(onPath(command[0]), command[0] + " is not installed: run deploy/ensure-deps.sh "
        + "(it installs Debian's prometheus package, which has promtool and prometheus)");
    Process process = new ProcessBuilder(command).directory(MONITORING.toFile())
        .redirectErrorStream(true).start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " hung");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), () -> String.join(" ", command) + ":\n" + output);
    return output;
  }

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
