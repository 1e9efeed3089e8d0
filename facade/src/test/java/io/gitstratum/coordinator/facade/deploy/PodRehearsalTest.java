package io.gitstratum.coordinator.facade.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.etcdlocal.FreePorts;
import io.gitstratum.coordinator.facade.FacadeMain;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetLeaderResponse;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * deploy/README.md's Kubernetes steps, rehearsed without a cluster (none runs here): the facade
 * started as the pod would start it, with the image's entrypoint (deploy/Dockerfile: its JVM
 * flags, this build's classes instead of the jar) and the pod's environment (deploy/k8s: the
 * ConfigMap, the downward API), must pass its startup, liveness and readiness probes within the
 * budget the Deployment gives them, bootstrap the prefix the README's {@code etcdctl get} lists,
 * advertise {@code $(POD_IP):9000} as the detector leader, and on SIGTERM (what the kubelet sends
 * after preStop) resign and exit within {@code terminationGracePeriodSeconds}. Three values differ
 * from a pod, and only these: etcd (this test's member instead of the StatefulSet's) and both
 * ports (free loopback ports, since 9000 and 9090 may be taken here; ManifestsTest checks that the
 * manifests' ports agree with each other).
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PodRehearsalTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeAll
  static void manifests() throws IOException {
    ManifestsTest.load();
  }

  @Test
  void thePodsCommandAndEnvironmentPassTheProbesAndStopCleanlyOnSigterm() throws Exception {
    FacadeConfig pod = ManifestsTest.parsedPodConfig();
    Map<String, Object> spec = ManifestsTest.container;
    List<Integer> ports = FreePorts.pick(2);
    int grpc = ports.get(0);
    int http = ports.get(1);
    ProcessBuilder builder = new ProcessBuilder(command()).redirectErrorStream(true)
        .redirectOutput(Files.createTempFile("pod", ".log").toFile());
    builder.environment().putAll(ManifestsTest.podEnvironment());
    builder.environment().put("GS_ETCD_ENDPOINTS", etcd.endpointsCsv());
    builder.environment().put("GS_LISTEN", "127.0.0.1:" + grpc);
    builder.environment().put("GS_HTTP_LISTEN", "127.0.0.1:" + http);
    Process facade = builder.start();
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext()
        .build();
    try (Client client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
        .build()) {
      // startup: the kubelet gives up (and restarts the pod) after periodSeconds x failureThreshold
      Duration startupBudget = Duration.ofSeconds(number(spec, "startupProbe", "periodSeconds")
          * number(spec, "startupProbe", "failureThreshold"));
      Awaitility.await().atMost(startupBudget).pollInterval(Duration.ofMillis(200))
          .until(() -> status(http, probePath(spec, "startupProbe")) == 200);
      assertEquals(200, status(http, probePath(spec, "livenessProbe")));
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> status(http, probePath(spec, "readinessProbe")) == 200);

      // Step 4's keys: the prefix is bootstrapped, and this replica is registered by its pod name.
      Keyspace keys = Keyspace.of(pod.etcd().root(), pod.etcd().cluster());
      assertTrue(exists(client, keys.schema()), "no " + keys.schema());
      assertTrue(exists(client, keys.facade(ManifestsTest.POD_NAME)),
          "no " + keys.facade(ManifestsTest.POD_NAME));
      // GetLeader hands clients $(POD_IP):9000, the address the Service's pods are reached at.
      GetLeaderResponse leader = Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> CoordinatorServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .getLeader(GetLeaderRequest.getDefaultInstance()), GetLeaderResponse::getIsLeader);
      assertEquals(ManifestsTest.POD_NAME, leader.getLeaderId());
      assertEquals(ManifestsTest.POD_IP + ":" + pod.listen().port(), leader.getLeaderAddress());

      // SIGTERM: the replica resigns (its record goes at once, not after --session-ttl) and exits
      // within the grace period; the kubelet would SIGKILL it after that.
      long grace = ((Number) ManifestsTest.at(ManifestsTest.deploymentPodSpec(),
          "terminationGracePeriodSeconds")).longValue();
      facade.destroy();
      assertTrue(facade.waitFor(grace, TimeUnit.SECONDS), "still running after " + grace + " s");
      assertTrue(!exists(client, keys.facade(ManifestsTest.POD_NAME)),
          "the replica's record outlived it: it did not resign");
    } finally {
      channel.shutdownNow();
      facade.destroyForcibly();
    }
  }

  /** deploy/Dockerfile's ENTRYPOINT, with this JVM and this build's classes for its jar. */
  private static List<String> command() throws IOException {
    String dockerfile = Files.readString(ManifestsTest.repositoryRoot().resolve(
        "deploy/Dockerfile"));
    Matcher entry = Pattern.compile("(?m)^ENTRYPOINT \\[(.*)]$").matcher(dockerfile);
    assertTrue(entry.find(), "no exec-form ENTRYPOINT in deploy/Dockerfile");
    List<String> words = new ArrayList<>();
    Matcher word = Pattern.compile("\"([^\"]*)\"").matcher(entry.group(1));
    while (word.find()) {
      words.add(word.group(1));
    }
    assertEquals("java", words.get(0), "the entrypoint runs java");
    assertEquals("-jar", words.get(words.size() - 2), "the entrypoint runs the jar");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(words.subList(1, words.size() - 2)); // the image's JVM flags
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        FacadeMain.class.getName()));
    return command;
  }

  private static String probePath(Map<String, Object> spec, String probe) {
    return (String) ManifestsTest.at(spec, probe, "httpGet", "path");
  }

  private static long number(Map<String, Object> spec, String probe, String field) {
    return ((Number) ManifestsTest.at(spec, probe, field)).longValue();
  }

  private static int status(int port, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static boolean exists(Client client, String key) throws Exception {
    return client.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS).getCount() > 0;
  }
}
