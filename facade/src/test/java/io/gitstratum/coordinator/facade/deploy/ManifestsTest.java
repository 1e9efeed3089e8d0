package io.gitstratum.coordinator.facade.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gitstratum.coordinator.facade.FacadeMain;
import io.gitstratum.coordinator.facade.config.FacadeCommand;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.logging.FacadeLogging;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Kubernetes manifests (deploy/k8s) and the container image (deploy/Dockerfile) against the
 * facade's own flag parser: the settings a pod would start with must parse, and every port must
 * be the same number in the parsed configuration, the container, the probes, the Services and the
 * image. Nothing here talks to a cluster; a drift that would only show up at deploy time fails here.
 */
class ManifestsTest {
  // What the downward API would hand a pod; any well-formed values do.
  static final String POD_IP = "10.1.2.3";
  static final String POD_NAME = "coordinator-5d8f7c9b4-x2x7q";
  private static final String POD_NAMESPACE = "gitstratum";

  private static Path root;
  private static Path k8s;
  private static List<Map<String, Object>> docs;
  private static Map<String, Object> deployment;
  static Map<String, Object> container;

  @BeforeAll
  static void load() throws IOException {
    root = repositoryRoot();
    k8s = root.resolve("deploy/k8s");
    docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(k8s)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        docs.addAll(loadYaml(file));
      }
    }
    docs.addAll(generatedConfigMaps(loadYaml(k8s.resolve("kustomization.yaml")).get(0)));
    List<Map<String, Object>> deployments = ofKind("Deployment");
    assertEquals(1, deployments.size(), "one Deployment (the facade) in deploy/k8s");
    deployment = deployments.get(0);
    List<Map<String, Object>> containers = list(at(deployment, "spec", "template", "spec",
        "containers"));
    assertEquals(1, containers.size(), "the facade pod has one container");
    container = containers.get(0);
  }

  // ---- the flag parser accepts what a pod starts with ---------------------------------------

  @Test
  void everyGsVariableIsASettingTheFacadeKnows() throws IOException {
    Map<String, String> known = optionsByEnvironmentVariable();
    for (String name : podEnvironment().keySet()) {
      if (!name.startsWith("GS_")) {
        continue;
      }
      // GS_LOG_LEVEL is read by the logging set-up, not by the command line.
      assertTrue(known.containsKey(name) || name.equals(FacadeLogging.LEVEL_VARIABLE),
          name + " is set in deploy/k8s but no FacadeCommand option (nor FacadeLogging) reads "
              + "it; known: " + known.keySet());
    }
  }

  /** deploy/README.md says whether the shipped Deployment runs TLS; this keeps it true. */
  @Test
  void theDeployReadmeSaysWhetherTheShippedDeploymentRunsTls() throws IOException {
    String readme = Files.readString(root.resolve("deploy/README.md")).replaceAll("\\s+", " ");
    boolean tls = parsedPodConfig().tls().enabled();
    assertEquals(!tls, readme.contains("As shipped the Deployment runs plaintext"),
        "deploy/README.md's TLS section does not match the Deployment (TLS "
            + (tls ? "on" : "off") + ")");
  }

  @Test
  void podSettingsAreAcceptedByTheFlagParser() {
    FacadeConfig config = parsedPodConfig();
    assertEquals(POD_NAME, config.listen().replicaId(), "replica id = pod name");
    assertEquals(POD_IP + ":" + config.listen().port(), config.listen().advertiseAddress(),
        "advertised address = pod IP and the gRPC port the replica listens on");
    assertEquals("0.0.0.0", config.listen().host(), "gRPC must listen on all pod interfaces");
    assertEquals("0.0.0.0", config.listen().httpHost(),
        "the HTTP port must listen on all pod interfaces, or the kubelet's probes cannot reach it");
    assertNull(config.etcd().embeddedDir(), "a pod must not start an embedded etcd");
  }

  // ---- ports agree everywhere ---------------------------------------------------------------

  @Test
  void grpcPortAgreesAcrossConfigContainerAndService() {
    int grpc = parsedPodConfig().listen().port();
    assertEquals(grpc, containerPort("grpc"), "containerPort named grpc vs GS_LISTEN");
    Map<String, Object> port = servicePortNamed("grpc");
    assertEquals(grpc, resolvePort(port.get("targetPort")), "gRPC Service targetPort");
    assertEquals(grpc, ((Number) port.get("port")).intValue(),
        "gRPC Service port: clients use the same number in and outside the cluster");
  }

  @Test
  void httpPortAgreesAcrossConfigProbesAndMetricsService() {
    int http = parsedPodConfig().listen().httpPort();
    assertEquals(http, containerPort("http"), "containerPort named http vs GS_HTTP_LISTEN");
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      if (container.containsKey(probe)) {
        assertEquals(http, resolvePort(at(container, probe, "httpGet", "port")), probe + " port");
      }
    }
    Map<String, Object> service = serviceWithPortNamed("http");
    Map<String, Object> port = servicePortNamed("http");
    assertEquals(http, resolvePort(port.get("targetPort")), "metrics Service targetPort");
    Map<String, Object> annotations = map(at(service, "metadata", "annotations"));
    assertEquals("true", annotations.get("prometheus.io/scrape"));
    assertEquals("/metrics", annotations.get("prometheus.io/path"));
    // The usual scrape job rewrites the target to <pod IP>:<this annotation>.
    assertEquals(String.valueOf(http), String.valueOf(annotations.get("prometheus.io/port")),
        "prometheus.io/port must be the container's HTTP port");
  }

  @Test
  void aHeadlessServiceListsTheReadyReplicasForDnsClients() {
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    List<Map<String, Object>> headless = ofKind("Service").stream()
        .filter(ManifestsTest::isHeadless)
        .filter(s -> isSubset(map(at(s, "spec", "selector")), podLabels)).toList();
    assertEquals(1, headless.size(), "one headless Service for dns:///NAME:PORT clients");
    Map<String, Object> port = list(at(headless.get(0), "spec", "ports")).get(0);
    int grpc = parsedPodConfig().listen().port();
    assertEquals(grpc, ((Number) port.get("port")).intValue(), "headless Service port");
    assertEquals(grpc, resolvePort(port.get("targetPort")), "headless Service targetPort");
    assertEquals(Boolean.FALSE, map(headless.get(0).get("spec")).getOrDefault(
        "publishNotReadyAddresses", false), "only ready replicas in DNS");
  }

  @Test
  void networkPolicyOpensGrpcToLabelledClientsAndMetricsToMonitoring() {
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    Map<String, Object> policy = ofKind("NetworkPolicy").stream()
        .filter(p -> isSubset(map(at(p, "spec", "podSelector", "matchLabels")), podLabels))
        .findFirst().orElseThrow(() -> new AssertionError("no NetworkPolicy for the facade"));
    assertEquals(List.of("Ingress"), strings(at(policy, "spec", "policyTypes")));
    Map<Integer, List<Map<String, Object>>> fromByPort = new TreeMap<>();
    for (Map<String, Object> rule : list(at(policy, "spec", "ingress"))) {
      for (Map<String, Object> port : list(rule.get("ports"))) {
        fromByPort.put(resolvePort(port.get("port")), list(rule.get("from")));
      }
    }
    FacadeConfig config = parsedPodConfig();
    assertEquals(Set.of(config.listen().port(), config.listen().httpPort()),
        fromByPort.keySet(), "only the gRPC and operations ports are opened");
    assertEquals(Map.of("gitstratum.io/coordinator-client", "true"), at(fromByPort.get(
        config.listen().port()).get(0), "podSelector", "matchLabels"), "gRPC (and admin)");
    assertEquals(Map.of("kubernetes.io/metadata.name", "monitoring"), at(fromByPort.get(
        config.listen().httpPort()).get(0), "namespaceSelector", "matchLabels"), "metrics");
  }

  @Test
  void replicasSpreadOverZonesAndTheConfigMapIsGenerated() throws IOException {
    List<Map<String, Object>> spread = list(at(deploymentPodSpec(),
        "topologySpreadConstraints"));
    Map<String, Object> zones = spread.stream()
        .filter(c -> "topology.kubernetes.io/zone".equals(c.get("topologyKey"))).findFirst()
        .orElseThrow(() -> new AssertionError("no spread over zones"));
    assertEquals("DoNotSchedule", zones.get("whenUnsatisfiable"));
    assertEquals(1, ((Number) zones.get("maxSkew")).intValue());
    // Generated with a hash suffix, so that a changed setting rolls the pods by itself.
    Map<String, Object> kustomization = loadYaml(k8s.resolve("kustomization.yaml")).get(0);
    List<Map<String, Object>> generators = list(kustomization.get("configMapGenerator"));
    assertEquals(List.of("coordinator-config"), generators.stream().map(g -> g.get("name"))
        .toList());
    Object options = generators.get(0).get("options");
    assertTrue(options == null || !Boolean.TRUE.equals(map(options).get("disableNameSuffixHash")),
        "the name keeps its hash suffix");
  }

  @Test
  void dockerfileExposesTheSamePorts() throws IOException {
    FacadeConfig config = parsedPodConfig();
    Set<Integer> exposed = new TreeSet<>();
    for (String line : Files.readAllLines(root.resolve("deploy/Dockerfile"))) {
      String trimmed = line.trim();
      if (trimmed.regionMatches(true, 0, "EXPOSE ", 0, 7)) {
        for (String token : trimmed.substring(7).trim().split("\\s+")) {
          exposed.add(Integer.parseInt(token.replaceFirst("/(tcp|udp)$", "")));
        }
      }
    }
    assertEquals(new TreeSet<>(List.of(config.listen().port(), config.listen().httpPort())), exposed,
        "deploy/Dockerfile EXPOSE vs the gRPC and HTTP ports of deploy/k8s");
  }

  // ---- the rest of the wiring ---------------------------------------------------------------

  @Test
  void probesUseTheOperationsEndpoints() {
    assertEquals("/readyz", at(container, "readinessProbe", "httpGet", "path"));
    assertEquals("/healthz", at(container, "livenessProbe", "httpGet", "path"),
        "liveness must not depend on etcd (/readyz does)");
    if (container.containsKey("startupProbe")) {
      assertEquals("/healthz", at(container, "startupProbe", "httpGet", "path"));
    }
  }

  @Test
  void servicesBudgetAndAutoscalerTargetTheFacadePods() {
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    Map<String, Object> selector = map(at(deployment, "spec", "selector", "matchLabels"));
    assertSubset(selector, podLabels, "Deployment selector");
    for (String portName : List.of("grpc", "http")) {
      Map<String, Object> service = serviceWithPortNamed(portName);
      assertSubset(map(at(service, "spec", "selector")), podLabels,
          "Service " + name(service) + " selector");
    }
    Map<String, Object> pdb = ofKind("PodDisruptionBudget").stream()
        .filter(p -> isSubset(map(at(p, "spec", "selector", "matchLabels")), podLabels))
        .findFirst().orElseThrow(() -> new AssertionError("no PodDisruptionBudget for the facade"));
    int replicas = ((Number) at(deployment, "spec", "replicas")).intValue();
    assertEquals(3, replicas);
    assertEquals(2, ((Number) at(pdb, "spec", "minAvailable")).intValue());

    Map<String, Object> hpa = ofKind("HorizontalPodAutoscaler").get(0);
    assertEquals("autoscaling/v2", hpa.get("apiVersion"));
    assertEquals("Deployment", at(hpa, "spec", "scaleTargetRef", "kind"));
    assertEquals(name(deployment), at(hpa, "spec", "scaleTargetRef", "name"));
    int minReplicas = ((Number) at(hpa, "spec", "minReplicas")).intValue();
    assertTrue(minReplicas > ((Number) at(pdb, "spec", "minAvailable")).intValue(),
        "HPA minReplicas must exceed the PDB's minAvailable, or no node could ever be drained");
    assertTrue(minReplicas <= replicas && replicas <= ((Number) at(hpa, "spec", "maxReplicas"))
        .intValue(), "Deployment replicas within the HPA's range");
  }

  @Test
  void podRunsAsTheImageUserOnAReadOnlyRootWithoutRequiringTheTlsSecret() throws IOException {
    Map<String, Object> podSecurity = map(at(deployment, "spec", "template", "spec",
        "securityContext"));
    assertEquals(Boolean.TRUE, podSecurity.get("runAsNonRoot"));
    assertEquals(Boolean.TRUE, at(container, "securityContext", "readOnlyRootFilesystem"));
    assertEquals(Boolean.FALSE, at(container, "securityContext", "allowPrivilegeEscalation"));

    Matcher user = Pattern.compile("(?m)^USER\\s+(\\d+)(?::(\\d+))?\\s*$")
        .matcher(Files.readString(root.resolve("deploy/Dockerfile")));
    assertTrue(user.find(), "deploy/Dockerfile must name a numeric USER (runAsNonRoot needs it)");
    assertEquals(Integer.parseInt(user.group(1)),
        ((Number) podSecurity.get("runAsUser")).intValue(), "runAsUser vs Dockerfile USER");

    List<Map<String, Object>> volumes = list(at(deployment, "spec", "template", "spec",
        "volumes"));
    List<Map<String, Object>> secrets = volumes.stream().filter(v -> v.containsKey("secret"))
        .toList();
    assertFalse(secrets.isEmpty(), "the TLS Secret is mounted for the upcoming TLS work");
    for (Map<String, Object> volume : secrets) {
      assertEquals(Boolean.TRUE, at(volume, "secret", "optional"),
          "Secret volume " + volume.get("name") + " must be optional until TLS is implemented");
    }
  }

  @Test
  void kustomizationListsExistingFilesAndTheImage() throws IOException {
    Map<String, Object> kustomization = loadYaml(k8s.resolve("kustomization.yaml")).get(0);
    List<String> resources = strings(kustomization.get("resources"));
    for (String resource : resources) {
      assertTrue(Files.isRegularFile(k8s.resolve(resource)), resource + " listed but missing");
    }
    try (Stream<Path> files = Files.list(k8s)) {
      Set<String> unlisted = files.map(f -> f.getFileName().toString())
          .filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml"))
          .filter(f -> !resources.contains(f)).collect(Collectors.toCollection(TreeSet::new));
      // The TLS placeholder is left out on purpose (applying it would blank a real certificate).
      assertEquals(Set.of("facade-tls-secret.yaml"), unlisted, "files not in kustomization.yaml");
    }
    String image = (String) container.get("image");
    String imageName = image.substring(0, image.lastIndexOf(':'));
    List<Map<String, Object>> images = list(kustomization.get("images"));
    assertTrue(images.stream().anyMatch(i -> imageName.equals(i.get("name"))),
        "kustomization images must name the Deployment's image " + imageName);
  }

  @Test
  void etcdEndpointsNameTheMembersOfTheExampleStatefulSet() throws IOException {
    Map<String, Object> kustomization = loadYaml(k8s.resolve("kustomization.yaml")).get(0);
    List<Map<String, Object>> statefulSets = ofKind("StatefulSet");
    if (!strings(kustomization.get("resources")).contains("etcd-statefulset.yaml")
        || statefulSets.isEmpty()) {
      return; // an existing etcd cluster is used: nothing to compare with
    }
    Map<String, Object> etcd = statefulSets.get(0);
    String sts = name(etcd);
    String service = (String) at(etcd, "spec", "serviceName");
    int members = ((Number) at(etcd, "spec", "replicas")).intValue();
    Map<String, Object> etcdContainer = list(at(etcd, "spec", "template", "spec", "containers"))
        .get(0);
    int clientPort = list(etcdContainer.get("ports")).stream()
        .filter(p -> "client".equals(p.get("name")))
        .map(p -> ((Number) p.get("containerPort")).intValue()).findFirst().orElseThrow();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      expected.add("http://" + sts + "-" + i + "." + service + ":" + clientPort);
    }
    assertEquals(expected, parsedPodConfig().etcd().endpoints(),
        "GS_ETCD_ENDPOINTS vs the members of the example etcd StatefulSet");

    Map<String, Object> headless = ofKind("Service").stream()
        .filter(s -> service.equals(name(s))).findFirst()
        .orElseThrow(() -> new AssertionError("no headless Service " + service));
    assertEquals("None", at(headless, "spec", "clusterIP"));
    assertEquals(Boolean.TRUE, at(headless, "spec", "publishNotReadyAddresses"),
        "etcd members must resolve each other before they are ready");
    assertEquals("Parallel", at(etcd, "spec", "podManagementPolicy"));
    String image = (String) etcdContainer.get("image");
    assertTrue(image.startsWith("quay.io/coreos/etcd:v3.5."), image);
    assertFalse(list(at(etcd, "spec", "volumeClaimTemplates")).isEmpty(),
        "etcd members keep their data on persistent volumes");
  }

  // ---- building the command line a pod effectively runs ---------------------------------------

  /**
   * The pod's environment as the kubelet would build it: envFrom ConfigMaps first, then env in
   * order, with {@code $(VAR)} references to earlier variables expanded and the downward API
   * filled in with sample values.
   */
  static Map<String, String> podEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> source : list(container.getOrDefault("envFrom", List.of()))) {
      Object ref = source.get("configMapRef");
      assertNotNull(ref, "envFrom supports only ConfigMaps here: " + source);
      String name = (String) map(ref).get("name");
      Map<String, Object> configMap = ofKind("ConfigMap").stream()
          .filter(c -> name.equals(name(c))).findFirst()
          .orElseThrow(() -> new AssertionError("envFrom names ConfigMap " + name
              + ", which deploy/k8s does not define"));
      map(configMap.get("data")).forEach((k, v) -> env.put(k, String.valueOf(v)));
    }
    for (Map<String, Object> variable : list(container.getOrDefault("env", List.of()))) {
      String name = (String) variable.get("name");
      if (variable.containsKey("value")) {
        env.put(name, expand(String.valueOf(variable.get("value")), env));
      } else {
        String field = (String) at(variable, "valueFrom", "fieldRef", "fieldPath");
        env.put(name, switch (field) {
          case "status.podIP" -> POD_IP;
          case "metadata.name" -> POD_NAME;
          case "metadata.namespace" -> POD_NAMESPACE;
          default -> throw new AssertionError("unexpected downward API field " + field);
        });
      }
    }
    return env;
  }

  /** Kubernetes' $(VAR) expansion: defined variables are replaced, others left as written. */
  private static String expand(String value, Map<String, String> env) {
    Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement = env.getOrDefault(m.group(1), m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * The pod's environment and the container's args, parsed by {@link FacadeMain#parse} as the
   * container would: its GS_ variables are the defaults of the flags they name.
   */
  static FacadeConfig parsedPodConfig() {
    Map<String, String> environment = podEnvironment();
    environment.forEach((name, value) -> assertFalse(value.contains("$("),
        name + " has an unresolved reference: " + value));
    List<String> args = strings(container.getOrDefault("args", List.of())).stream()
        .map(a -> expand(a, environment)).toList();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    FacadeMain.Parsed parsed = FacadeMain.parse(args.toArray(String[]::new), environment,
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(0, parsed.exitCode(), "facade rejected " + environment + " " + args + ": " + err);
    assertNotNull(parsed.config(), "no configuration from " + args + ": " + out + err);
    return parsed.config();
  }

  /** GS_X -> --x: the variable each of FacadeCommand's options reads. */
  private static Map<String, String> optionsByEnvironmentVariable() {
    Map<String, String> byVariable = new TreeMap<>();
    for (OptionSpec option : FacadeCommand.commandLine(new FacadeCommand(), Map.of())
        .getCommandSpec().options()) {
      if (!option.usageHelp() && !option.versionHelp()) {
        byVariable.put(FacadeCommand.environmentVariable(option.longestName()),
            option.longestName());
      }
    }
    return byVariable;
  }

  /** The Deployment's pod spec (where terminationGracePeriodSeconds lives). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> deploymentPodSpec() {
    return (Map<String, Object>) at(deployment, "spec", "template", "spec");
  }

  // ---- ports ----------------------------------------------------------------------------------

  private static int containerPort(String name) {
    return list(container.get("ports")).stream().filter(p -> name.equals(p.get("name")))
        .map(p -> ((Number) p.get("containerPort")).intValue()).findFirst()
        .orElseThrow(() -> new AssertionError("the facade container has no port named " + name));
  }

  /** A probe's or Service's port: a number, or the name of one of the container's ports. */
  static int resolvePort(Object port) {
    if (port instanceof Number number) {
      return number.intValue();
    }
    return containerPort(String.valueOf(port));
  }

  private static Map<String, Object> serviceWithPortNamed(String portName) {
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    List<Map<String, Object>> matches = ofKind("Service").stream()
        .filter(s -> !isHeadless(s))
        .filter(s -> isSubset(map(at(s, "spec", "selector")), podLabels))
        .filter(s -> list(at(s, "spec", "ports")).stream()
            .anyMatch(p -> portName.equals(p.get("name"))))
        .toList();
    assertEquals(1, matches.size(), "one facade Service with a port named " + portName);
    return matches.get(0);
  }

  private static boolean isHeadless(Map<String, Object> service) {
    return "None".equals(map(service.get("spec")).get("clusterIP"));
  }

  private static Map<String, Object> servicePortNamed(String portName) {
    return list(at(serviceWithPortNamed(portName), "spec", "ports")).stream()
        .filter(p -> portName.equals(p.get("name"))).findFirst().orElseThrow();
  }

  /**
   * The ConfigMaps kustomize's configMapGenerator makes from env files, under their base names
   * (kustomize adds the hash suffix and rewrites the references to it): KEY=VALUE lines, blank
   * lines and # comments ignored, the value taken literally.
   */
  private static List<Map<String, Object>> generatedConfigMaps(Map<String, Object> kustomization)
      throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> generator : list(kustomization.getOrDefault("configMapGenerator",
        List.of()))) {
      Map<String, Object> data = new LinkedHashMap<>();
      for (String envFile : strings(generator.getOrDefault("envs", List.of()))) {
        for (String line : Files.readAllLines(k8s.resolve(envFile))) {
          String trimmed = line.strip();
          if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
            int eq = trimmed.indexOf('=');
            assertTrue(eq > 0, envFile + ": not KEY=VALUE: " + line);
            assertFalse(trimmed.substring(eq + 1).startsWith("\""),
                envFile + ": kustomize keeps quotes as part of the value: " + line);
            data.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
          }
        }
      }
      out.add(Map.of("kind", "ConfigMap", "metadata", Map.of("name", generator.get("name")),
          "data", data));
    }
    return out;
  }

  // ---- YAML plumbing --------------------------------------------------------------------------

  static Path repositoryRoot() {
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null;
        dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy/k8s"))) {
        return dir;
      }
    }
    throw new AssertionError("no deploy/k8s above " + System.getProperty("user.dir"));
  }

  static List<Map<String, Object>> loadYaml(Path file) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file)) {
      for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
        if (doc != null) {
          out.add(map(doc));
        }
      }
    }
    return out;
  }

  private static List<Map<String, Object>> ofKind(String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  private static String name(Map<String, Object> resource) {
    return (String) at(resource, "metadata", "name");
  }

  static Object at(Map<String, Object> node, String... path) {
    Object current = node;
    for (String key : path) {
      if (!(current instanceof Map<?, ?> m) || !m.containsKey(key)) {
        fail("missing " + String.join(".", path) + " in " + node.getOrDefault("kind", "")
            + " " + (node.get("metadata") instanceof Map<?, ?> md ? md.get("name") : ""));
      }
      current = ((Map<?, ?>) current).get(key);
    }
    return current;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertTrue(o instanceof Map, "expected a mapping, got " + o);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object o) {
    assertTrue(o instanceof List, "expected a list, got " + o);
    return (List<Map<String, Object>>) o;
  }

  private static List<String> strings(Object o) {
    assertTrue(o instanceof List, "expected a list, got " + o);
    return ((List<?>) o).stream().map(String::valueOf).toList();
  }

  private static boolean isSubset(Map<String, Object> selector, Map<String, Object> labels) {
    return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  private static void assertSubset(Map<String, Object> selector, Map<String, Object> labels,
      String what) {
    assertTrue(isSubset(selector, labels), what + " " + selector + " does not select the pod "
        + "labels " + labels);
  }
}
