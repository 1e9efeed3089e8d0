package io.gitstratum.coordinator.facade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.etcdlocal.FreePorts;
import io.gitstratum.coordinator.facade.etcd.EtcdReachability;
import java.io.IOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A facade that cannot start says why in one line and exits 2: here etcd's port is closed, which
 * jetcd alone would report as a timeout on every attempt.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartupFailureTest {
  @Test
  void aCauseChainIsOneLineWithoutRepeats() {
    Exception failure = new IllegalStateException("start-up failed",
        new java.io.UncheckedIOException("binding", new BindException("Address already in use")));
    assertEquals("start-up failed: binding: a port is already in use (Address already in use): "
        + "another facade running?", StartupFailure.describe(failure));
    assertEquals("x", StartupFailure.describe(new RuntimeException("x", new RuntimeException("x"))));
  }

  @Test
  void reachabilityTellsARefusedPortFromAListeningOne() throws IOException {
    int closed = FreePorts.pick(1).get(0);
    assertTrue(EtcdReachability.describe(List.of("http://127.0.0.1:" + closed),
        Duration.ofSeconds(1)).contains("refused the connection"));
    try (ServerSocket listening = new ServerSocket(0)) {
      assertTrue(EtcdReachability.describe(List.of("127.0.0.1:" + listening.getLocalPort()),
          Duration.ofSeconds(1)).contains("accepts connections but etcd does not answer"));
    }
  }

  @Test
  void etcdDownAtStartUpIsOneErrorLineAndExitCodeTwo() throws Exception {
    String output = failedStart("--etcd-endpoints", "127.0.0.1:" + FreePorts.pick(1).get(0),
        "--etcd-timeout", "1s", "--startup-timeout", "2s");
    List<String> errors = output.lines().filter(l -> l.contains("ERROR")).toList();
    assertTrue(errors.get(0).contains("facade failed to start: etcd unreachable for 2 s at start-up")
        && errors.get(0).contains("refused the connection"), errors.get(0));
    assertTrue(output.lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + output);
  }

  @Test
  @Tag("etcd")
  void aSecondEmbeddedEtcdOnTakenPortsIsOneLineNamingTheLikelyCause(@TempDir Path dir)
      throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      String output = failedStart("--embedded-etcd", "--embedded-etcd-port",
          String.valueOf(taken.getLocalPort()), "--embedded-etcd-dir", dir.toString());
      List<String> errors = output.lines().filter(l -> l.contains("ERROR")).toList();
      assertTrue(errors.get(0).contains("already in use. Is another facade with --embedded-etcd"),
          errors.get(0));
      assertTrue(output.lines().noneMatch(l -> l.contains("etcdmain")), "no etcd log: " + output);
    }
  }

  /**
   * Runs the facade as a process on loopback ports with {@code args}; it must give up with exit
   * code 2 and exactly one ERROR line. Returns its output.
   */
  private static String failedStart(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), FacadeMain.class.getName(),
        "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"));
    command.addAll(List.of(args));
    Process facade = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(facade.waitFor(45, TimeUnit.SECONDS), "the facade did not give up");
    String output = new String(facade.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, facade.exitValue(), output);
    assertEquals(1, output.lines().filter(l -> l.contains("ERROR")).count(), output);
    return output;
  }
}
