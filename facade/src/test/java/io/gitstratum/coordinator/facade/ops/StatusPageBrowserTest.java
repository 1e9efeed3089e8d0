package io.gitstratum.coordinator.facade.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in headless Chromium (Debian's chromium, installed by deploy/ensure-deps.sh):
 * the page's script fetches /status.json and renders it; the DOM after rendering must show a
 * newly registered node and then its state change.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageBrowserTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @TempDir
  Path profile;

  @Test
  void showsANewNodeAndItsStateChange() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer facade = harness.start("browser");
      CoordinatorServiceBlockingStub stub = harness.stub(facade);
      String url = "http://127.0.0.1:" + facade.httpPort() + "/status";

      assertTrue(!render(url).contains("node-obj-browser"), "not there before it registers");
      stub.registerNode(RegisterNodeRequest.newBuilder()
          .setNode(TestNodes.node("obj-browser").toBuilder().putLabels("zone", "eu-1")).build());
      String joined = render(url);
      assertEquals("JOINING", stateCell(joined, "obj-browser"));
      assertTrue(joined.contains("zone=eu-1"), "labels are shown");

      stub.heartbeat(TestNodes.beat("obj-browser", NodeState.NODE_STATE_ACTIVE));
      String active = render(url);
      assertEquals("ACTIVE", stateCell(active, "obj-browser"));
      assertTrue(active.contains("100.0 %"), "the only object node owns the whole ring");
    }
  }

  private static String stateCell(String dom, String nodeId) {
    Matcher m = Pattern.compile("<tr id=\"node-" + Pattern.quote(nodeId)
        + "\">.*?<td class=\"state state-([A-Z]+)\">").matcher(dom);
    assertTrue(m.find(), "row of " + nodeId + " in " + dom);
    return m.group(1);
  }

  /** The page's DOM after its script ran (virtual time lets the first poll complete). */
  private String render(String url) throws IOException, InterruptedException {
    Path chromium = Path.of("/usr/bin/chromium");
    if (!Files.isExecutable(chromium)) {
      throw new IllegalStateException("headless Chromium is needed for this test: run "
          + "deploy/ensure-deps.sh (apt-get install -y chromium) first");
    }
    Path out = Files.createTempFile(profile, "dom", ".html");
    Process process = new ProcessBuilder(List.of(chromium.toString(), "--headless",
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile.resolve("profile"), "--virtual-time-budget=3000",
        "--dump-dom", url))
        .redirectOutput(out.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("chromium did not finish within 60 s");
    }
    assertEquals(0, process.exitValue(), "chromium exit code");
    return Files.readString(out, StandardCharsets.UTF_8);
  }
}
