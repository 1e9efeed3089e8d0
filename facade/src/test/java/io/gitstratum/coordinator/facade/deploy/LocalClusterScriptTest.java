package io.gitstratum.coordinator.facade.deploy;

import static io.gitstratum.coordinator.facade.config.CommandLines.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * deploy/local-cluster without running a cluster: the script parses, answers help, and its fixed
 * ports neither repeat nor collide with what deploy/run-local.sh uses (so both can run at once).
 * Starting the cluster itself takes etcd and two JVMs; deploy/README.md's walk-through does that.
 */
class LocalClusterScriptTest {
  private static final Path ROOT = ManifestsTest.repositoryRoot();
  private static final Path SCRIPT = ROOT.resolve("deploy/local-cluster");

  @Test
  void scriptParsesAndIsExecutable() throws Exception {
    assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " must be executable");
    Result syntax = run("bash", "-n", SCRIPT.toString());
    assertEquals(0, syntax.exitCode(), "bash -n: " + syntax.output());
  }

  @Test
  void helpRunsWithoutStartingAnything() throws Exception {
    // Runs the script's top (settings, functions) under set -euo pipefail, and nothing else.
    Result help = run("bash", SCRIPT.toString(), "help");
    assertEquals(0, help.exitCode(), help.output());
    for (String command : List.of("start", "status", "stop", "kill-facade", "kill-etcd",
        "restart-etcd")) {
      assertTrue(help.output().contains("deploy/local-cluster " + command), command + " in help");
    }
    Result unknown = run("bash", SCRIPT.toString(), "no-such-command");
    assertEquals(2, unknown.exitCode(), unknown.output());
  }

  @Test
  void portsDoNotCollide() throws IOException {
    Map<String, List<Integer>> ports = portArrays();
    assertEquals(Set.of("ETCD_CLIENT_PORTS", "ETCD_PEER_PORTS", "FACADE_GRPC_PORTS",
        "FACADE_HTTP_PORTS"), ports.keySet(), "port arrays in deploy/local-cluster");
    assertEquals(3, ports.get("ETCD_CLIENT_PORTS").size(), "3 etcd members");
    assertEquals(3, ports.get("ETCD_PEER_PORTS").size(), "3 etcd members");
    assertEquals(2, ports.get("FACADE_GRPC_PORTS").size(), "2 facade replicas");
    assertEquals(2, ports.get("FACADE_HTTP_PORTS").size(), "2 facade replicas");

    List<Integer> all = new ArrayList<>();
    ports.values().forEach(all::addAll);
    Set<Integer> distinct = new TreeSet<>(all);
    assertEquals(all.size(), distinct.size(), "a port is used twice: " + ports);
    for (int port : all) {
      assertTrue(port >= 1024 && port <= 65535, "unprivileged port expected, got " + port);
    }

    // deploy/run-local.sh runs the facade with its defaults and the embedded etcd.
    FacadeConfig runLocal = parse("--embedded-etcd");
    Set<Integer> runLocalPorts = Set.of(runLocal.listen().port(), runLocal.listen().httpPort(),
        runLocal.etcd().embeddedPort(), runLocal.etcd().embeddedPort() + 1);
    for (int port : runLocalPorts) {
      assertTrue(!distinct.contains(port), "port " + port + " is also used by run-local.sh");
    }
  }

  /**
   * deploy/run-local.sh keeps the status page (node addresses) on loopback as it does gRPC,
   * unless told otherwise.
   */
  @Test
  void runLocalListensOnLoopbackOnly() throws IOException {
    String script = Files.readString(ROOT.resolve("deploy/run-local.sh"));
    assertTrue(script.contains("listen=\"${GS_LISTEN:-127.0.0.1:9000}\""), "gRPC on loopback");
    assertTrue(script.contains("http_listen=\"${GS_HTTP_LISTEN:-127.0.0.1:9090}\""),
        "status page on loopback");
    assertTrue(script.contains("--http-listen \"$http_listen\""), "passed to the facade");
  }

  /** The {@code NAME_PORTS=(1 2 3)} lines of the script. */
  private static Map<String, List<Integer>> portArrays() throws IOException {
    Matcher m = Pattern.compile("(?m)^([A-Z_]+_PORTS)=\\(([0-9 ]*)\\)\\s*$")
        .matcher(Files.readString(SCRIPT));
    Map<String, List<Integer>> arrays = new LinkedHashMap<>();
    while (m.find()) {
      List<Integer> values = new ArrayList<>();
      for (String token : m.group(2).trim().split("\\s+")) {
        values.add(Integer.parseInt(token));
      }
      arrays.put(m.group(1), values);
    }
    return arrays;
  }

  /**
   * {@code status} reads etcd with the script's own etcdctl wrapper: it must work after the
   * walk-through's {@code export ETCDCTL_ENDPOINTS=...}, which etcdctl 3.4 otherwise refuses
   * next to --endpoints (issue 16, item 1: status printed empty sections).
   */
  @Test
  @Tag("etcd")
  void statusReadsEtcdWhateverEtcdctlEndpointsTheCallerExported() throws Exception {
    Matcher function = Pattern.compile("(?ms)^local_etcdctl\\(\\) \\{.*?^}")
        .matcher(Files.readString(SCRIPT));
    assertTrue(function.find(), "local_etcdctl in " + SCRIPT);
    try (LocalEtcdCluster etcd = LocalEtcdCluster.start(LocalEtcdCluster.Options.builder()
        .fastTimers(true).build())) {
      Result health = run(Map.of("ETCDCTL_ENDPOINTS", "http://127.0.0.1:1"), "bash", "-c",
          function.group() + "\nlocal_etcdctl " + etcd.endpointsCsv() + " endpoint health");
      assertEquals(0, health.exitCode(), health.output());
      assertTrue(health.output().contains("is healthy"), health.output());
    }
  }

  private record Result(int exitCode, String output) {}

  private static Result run(String... command) throws Exception {
    return run(Map.of(), command);
  }

  private static Result run(Map<String, String> environment, String... command)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
        .redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process process = builder.start();
    process.getOutputStream().close();
    boolean done = process.waitFor(30, TimeUnit.SECONDS);
    if (!done) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in 30 s");
    }
    return new Result(process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
