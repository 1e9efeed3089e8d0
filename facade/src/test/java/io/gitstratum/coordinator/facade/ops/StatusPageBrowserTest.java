package io.gitstratum.coordinator.facade.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in headless Chromium (Debian's chromium, installed by deploy/ensure-deps.sh):
 * the page's script fetches /status.json and renders it; the DOM after rendering must show a
 * newly registered node and then its state change; at 30,000 nodes with 1% DOWN and one of three
 * etcd members stopped, the verdict, the etcd line and the problems come first (a screenshot,
 * target/status-page-30000.png, shows it; docs/status-page.png is one).
 */
@Tag("etcd")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StatusPageBrowserTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.threeMembers();

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
      // One object node for three replicas: the ring cannot place, and the page says so instead
      // of showing its share.
      assertTrue(row(active, "node", "obj-browser").contains("the ring cannot place"), active);
      assertTrue(active.contains("class=\"verdict verdict-failing\">failing: the ring cannot "
          + "place a key's replicas: 1 of 1 object nodes serve"), active);
      // The background member check ran at start: its verdict is on the page.
      assertTrue(active.matches("(?s).*<span id=\"etcd-members\">etcd members <b>3 of 3</b> "
          + "answer</span>.*"), "etcd members line");
      // Its last heartbeat, from its lease (read in the background: a later poll shows it).
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> row(render(url), "node", "obj-browser").matches(".*<td title=\"[^\"]+\">"
              + "\\d+ s ago</td>.*"));
    }
  }

  @Test
  void thirtyThousandNodesArePagedWithTheirCountsAndProblemsFirst() throws Exception {
    int nodes = 30_000;
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      Keyspace keys = FacadeHarness.keys("browser-large");
      // Live nodes get alive keys and SUSPECT ones grace keys, on one lease that outlives the
      // test, so the detector leaves the states as written.
      long lease = harness.etcd().getLeaseClient().grant(300).get(10, TimeUnit.SECONDS).getID();
      PutOption leased = PutOption.builder().withLeaseId(lease).build();
      for (int batch = 0; batch < nodes; batch += 60) { // etcd allows 128 operations a txn
        List<Op> puts = new ArrayList<>();
        for (int i = batch; i < Math.min(nodes, batch + 60); i++) {
          NodeInfo node = large(i);
          puts.add(Op.put(FacadeHarness.bytes(keys.node(node.getId())),
              ByteSequence.from(RecordCodec.encode(node)), PutOption.DEFAULT));
          if (node.getState() == NodeState.NODE_STATE_ACTIVE) {
            puts.add(Op.put(FacadeHarness.bytes(keys.alive(node.getId())),
                FacadeHarness.bytes(node.getGenerationId()), leased));
          } else if (node.getState() == NodeState.NODE_STATE_SUSPECT) {
            puts.add(Op.put(FacadeHarness.bytes(keys.grace(node.getId())),
                ByteSequence.EMPTY, leased));
          }
        }
        harness.etcd().getKVClient().txn().Then(puts.toArray(Op[]::new)).commit()
            .get(10, TimeUnit.SECONDS);
      }
      harness.etcd().getKVClient().put(FacadeHarness.bytes(keys.version()),
          ByteSequence.from(RecordCodec.encodeVersion(nodes))).get(10, TimeUnit.SECONDS);
      FacadeServer facade = harness.start("browser-large");
      String base = "http://127.0.0.1:" + facade.httpPort();

      HttpClient http = HttpClient.newHttpClient();
      long[] nanos = new long[5];
      int bytes = 0;
      for (int i = 0; i < nanos.length; i++) {
        long started = System.nanoTime();
        bytes = http.send(HttpRequest.newBuilder(URI.create(base + "/status.json")).build(),
            HttpResponse.BodyHandlers.ofString()).body().length();
        nanos[i] = System.nanoTime() - started;
      }
      java.util.Arrays.sort(nanos);
      assertTrue(bytes < 64 * 1024, "status.json at 30,000 nodes: " + bytes + " bytes");

      // One of the three etcd members stopped: the replica keeps quorum and says so.
      String stopped = etcd.cluster().member(2).name();
      etcd.cluster().stopMember(2);
      try {
        // Without JavaScript: the replica's own first view says what is wrong (once the member
        // check has run, and the watch that was on the stopped member has moved on).
        String verdict = "degraded: 1 of 3 etcd members does not answer (" + stopped + "); "
            + "300 nodes DOWN; 30 nodes SUSPECT";
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> http.send(
            HttpRequest.newBuilder(URI.create(base + "/status")).build(),
            HttpResponse.BodyHandlers.ofString()).body().contains(">" + verdict + "</p>"));

        Path screenshot = Path.of("target", "status-page-30000.png").toAbsolutePath();
        String dom = render(base + "/status", "--screenshot=" + screenshot,
            "--window-size=1200,720", "--hide-scrollbars");
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot at " + screenshot);
        assertTrue(dom.contains("<b id=\"total\">30000</b>"), "the count of all nodes");
        assertTrue(dom.contains("1-100 of 30000"), "one page of 100");
        assertTrue(dom.contains("class=\"verdict verdict-degraded\">" + verdict + "</p>"), dom);
        assertTrue(dom.contains("etcd members <b>2 of 3</b> answer; " + stopped), "etcd line");
        // First the verdict, then etcd, then the problems, then the counts.
        int at = dom.indexOf("id=\"verdict\"");
        for (String next : List.of("id=\"etcd-members\"", "id=\"problems\"", "id=\"counts\"")) {
          assertTrue(dom.indexOf(next) > at, next + " after the one before");
          at = dom.indexOf(next);
        }
        assertEquals("SUSPECT", stateCell(dom, "problem", "object-00003"), "problems first");
        assertEquals("ACTIVE", stateCell(dom, "node", "object-00000"));
        Matcher loaded = Pattern.compile("<span id=\"load-ms\">(\\d+)</span>").matcher(dom);
        assertTrue(loaded.find(), "the page measured its own load");
        System.out.printf("status page at %,d nodes: /status.json %,d bytes, served in %.1f ms "
            + "(median of 5); the page's fetch and render %s ms (under Chromium's virtual "
            + "time); screenshot %s%n", nodes, bytes, nanos[2] / 1e6, loaded.group(1),
            screenshot);
      } finally {
        etcd.cluster().restartMember(2);
      }
    }
  }

  private static NodeInfo large(int i) {
    NodeState state = i % 1000 == 3 ? NodeState.NODE_STATE_SUSPECT
        : i % 100 == 7 ? NodeState.NODE_STATE_DOWN : NodeState.NODE_STATE_ACTIVE;
    return NodeInfo.newBuilder().setId(String.format("object-%05d", i))
        .setAddress("10.1." + (i / 250) + "." + (i % 250)).setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("generation-" + i).setState(state)
        .putLabels("zone", "zone-" + (i % 3)).build();
  }

  private static String stateCell(String dom, String nodeId) {
    return stateCell(dom, "node", nodeId);
  }

  private static String row(String dom, String prefix, String nodeId) {
    Matcher m = Pattern.compile("<tr id=\"" + prefix + "-" + Pattern.quote(nodeId)
        + "\">.*?</tr>").matcher(dom);
    return m.find() ? m.group() : "";
  }

  private static String stateCell(String dom, String prefix, String nodeId) {
    Matcher m = Pattern.compile("<tr id=\"" + prefix + "-" + Pattern.quote(nodeId)
        + "\">.*?<td class=\"state state-([A-Z]+)\">").matcher(dom);
    assertTrue(m.find(), "row of " + nodeId + " in " + dom);
    return m.group(1);
  }

  /** The page's DOM after its script ran (virtual time lets the first poll complete). */
  private String render(String url, String... options) throws IOException, InterruptedException {
    Path chromium = Path.of("/usr/bin/chromium");
    if (!Files.isExecutable(chromium)) {
      throw new IllegalStateException("headless Chromium is needed for this test: run "
          + "deploy/ensure-deps.sh (apt-get install -y chromium) first");
    }
    Path out = Files.createTempFile(profile, "dom", ".html");
    List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless",
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile.resolve("profile"), "--virtual-time-budget=5000",
        "--dump-dom"));
    command.addAll(List.of(options));
    command.add(url);
    Process process = new ProcessBuilder(command)
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
