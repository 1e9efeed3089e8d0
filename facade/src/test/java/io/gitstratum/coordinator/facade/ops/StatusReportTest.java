package io.gitstratum.coordinator.facade.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.detect.ZoneProtection;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The status page's data at the sizes we claim: what it holds, and that its size stays flat. */
class StatusReportTest {
  private static final int NODES = 30_000;

  private static Topology topology() {
    List<NodeInfo> nodes = new ArrayList<>(NODES);
    for (int i = 0; i < NODES; i++) {
      NodeState state = i % 1000 == 7 ? NodeState.NODE_STATE_DOWN
          : i % 1000 == 3 ? NodeState.NODE_STATE_SUSPECT : NodeState.NODE_STATE_ACTIVE;
      nodes.add(NodeInfo.newBuilder().setId(String.format("obj-%05d", i)).setAddress("10.0.0.1")
          .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT).setState(state)
          .putLabels("zone", "z" + (i % 3)).build());
    }
    return Topology.of(42, nodes, HashRingConfig.newBuilder().setVirtualNodesPerPhysical(1)
        .setReplicationFactor(3).build());
  }

  private static final Topology TOPOLOGY = topology();
  // The last changes of three problem nodes, as StatusReads finds them in the history.
  private static final StatusReads.History HISTORY = new StatusReads.History(List.of(), Map.of(
      "obj-00007", change("obj-00007", NodeState.NODE_STATE_DOWN, 4_000, "grace expired"),
      "obj-01003", change("obj-01003", NodeState.NODE_STATE_SUSPECT, 3_000, "lease expired"),
      "obj-00003", change("obj-00003", NodeState.NODE_STATE_SUSPECT, 1_000, "lease expired"),
      // A change that did not lead to the node's state says nothing about since when.
      "obj-02003", change("obj-02003", NodeState.NODE_STATE_ACTIVE, 4_500, "registered")),
      10, 500);

  private static Change change(String id, NodeState state, long at, String reason) {
    return Change.newBuilder().setNodeId(id).setState(state).setAt(at).setReason(reason)
        .setActor("detector:r1").build();
  }
  private static final ConsistentHashRing RING =
      ConsistentHashRing.fromNodes(TOPOLOGY.nodes(), TOPOLOGY.ringConfig());

  private static String json(StatusQuery query) {
    return json(query, ids -> Map.of());
  }

  private static String json(StatusQuery query,
      Function<List<String>, Map<String, Long>> lastHeartbeats) {
    return StatusReport.json(new StatusReport.Snapshot(TOPOLOGY, RING, Optional.empty(), "r1", 0,
        ZoneProtection.State.NONE, Optional.empty(), HISTORY, List.of(), true, 100, 2,
        new EtcdMemberHealth.Members(List.of(
            new EtcdMemberHealth.Member("etcd-0", "http://a:2379", true, ""),
            new EtcdMemberHealth.Member("etcd-1", "http://b:2379", false, "UNAVAILABLE")), 4_000),
        "zone",
        lastHeartbeats, 5_000), query);
  }

  @Test
  void atThirtyThousandNodesItIsOnePageCountsAndProblemsNotTheWholeTopology() {
    String all = json(StatusQuery.ALL);
    assertTrue(all.length() < 64 * 1024, all.length() + " bytes");
    assertTrue(all.contains("\"total\":30000"), "counted");
    assertTrue(all.contains("\"OBJECT\":{\"ACTIVE\":29940,\"DOWN\":30,\"SUSPECT\":30}"),
        "by type and state");
    assertTrue(all.contains("\"z0\":{\"ACTIVE\":"), "by zone");
    assertTrue(all.contains("\"nodes\":{\"total\":30000,\"page\":0,\"size\":100"), "paged");
    assertEquals(100, count(all, "\"id\":\"obj-\\d+\"") - StatusReport.MAX_PROBLEMS,
        "one page of nodes besides the problems");
    // Problems newest first where the history says since when, then SUSPECT before DOWN; at
    // most 50 of the 60; with the change that put each in its state.
    String problems = all.substring(all.indexOf("\"problems\":"), all.indexOf("\"problemSince\""));
    List<String> order = Pattern.compile("\"id\":\"(obj-\\d+)\"").matcher(problems).results()
        .map(m -> m.group(1)).toList();
    assertEquals(List.of("obj-00007", "obj-01003", "obj-00003", "obj-02003"),
        order.subList(0, 4), problems);
    int firstOtherDown = problems.indexOf("NODE_STATE_DOWN", problems.indexOf("obj-02003"));
    assertTrue(problems.lastIndexOf("NODE_STATE_SUSPECT") < firstOtherDown, "SUSPECT first");
    assertTrue(all.contains("\"problemSince\":{\"obj-00007\":{\"at\":4000,\"reason\":"
        + "\"grace expired\",\"actor\":\"detector:r1\"},\"obj-01003\":{\"at\":3000,"), all);
    assertTrue(all.contains("\"history\":{\"oldestVersion\":10,\"oldestAt\":500}"), all);
  }

  @Test
  void aVerdictSaysWhatIsWrongWorstFirstAndWhetherTheRingPlaces() {
    String all = json(StatusQuery.ALL);
    assertTrue(all.contains("\"verdict\":{\"level\":\"degraded\",\"text\":\"degraded: 1 of 2 "
        + "etcd members does not answer (etcd-1); no detector leader: nothing turns silent nodes "
        + "SUSPECT or DOWN; 30 nodes DOWN; 30 nodes SUSPECT\"}"), all);
    assertTrue(all.contains("\"placement\":{\"members\":30000,\"serving\":29940,"
        + "\"replicationFactor\":3,\"placeable\":true}"), all);
    // Two serving object nodes for three replicas: the ring cannot place, and that comes first.
    List<NodeInfo> few = List.of(node("a", NodeState.NODE_STATE_ACTIVE),
        node("b", NodeState.NODE_STATE_DRAINING), node("c", NodeState.NODE_STATE_SUSPECT));
    Topology small = Topology.of(3, few, TOPOLOGY.ringConfig());
    StatusVerdict verdict = StatusVerdict.of(new StatusReport.Snapshot(small,
        ConsistentHashRing.fromNodes(few, small.ringConfig()), Optional.empty(), "r1", 0,
        ZoneProtection.State.NONE, Optional.empty(), HISTORY, List.of(), true, 100, 2,
        new EtcdMemberHealth.Members(List.of(), 0), "zone", ids -> Map.of(), 5_000));
    assertEquals("failing", verdict.level());
    assertTrue(verdict.text().startsWith("failing: the ring cannot place a key's replicas: 2 of 3 "
        + "object nodes serve (ACTIVE or DRAINING), 3 needed; no detector leader"), verdict.text());
  }

  private static NodeInfo node(String id, NodeState state) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setState(state).build();
  }

  @Test
  void aQueryFiltersByTextStateAndTypeAndPages() {
    String suspects = json(StatusQuery.parse("state=suspect&size=10&page=1"));
    assertTrue(suspects.contains("\"nodes\":{\"total\":30,\"page\":1,\"size\":10"), suspects);
    String zone = json(StatusQuery.parse("q=zone%3Dz2&type=OBJECT&size=5"));
    assertTrue(zone.contains("\"nodes\":{\"total\":10000,"), "label text");
    String one = json(StatusQuery.parse("q=obj-00042"));
    assertTrue(one.contains("\"nodes\":{\"total\":1,"), "id text");
    assertTrue(one.contains("\"ringShares\":{\"obj-00042\":"), "the share of the page's nodes");
    assertEquals(StatusQuery.ALL, StatusQuery.parse("state=nonsense&page=-3&size=x"),
        "what it does not understand shows everything");
    assertEquals(StatusQuery.MAX_SIZE, StatusQuery.parse("size=100000").size());
  }

  @Test
  void heartbeatTimesAreAskedForTheNodesShownOnly() {
    List<List<String>> asked = new ArrayList<>();
    String page = json(StatusQuery.parse("q=obj-0004&size=3"), ids -> {
      asked.add(ids);
      return Map.of("obj-00041", 4_000L, "obj-00003", 0L);
    });
    assertEquals(1, asked.size());
    List<String> ids = asked.get(0);
    assertEquals(StatusReport.MAX_PROBLEMS + 3, ids.size(), "the problems shown and one page");
    assertEquals(List.of("obj-00040", "obj-00041", "obj-00042"), ids.subList(ids.size() - 3,
        ids.size()));
    assertTrue(ids.contains("obj-00003"), "a SUSPECT node on the problem list");
    assertTrue(page.contains("\"now\":5000,\"lastHeartbeat\":{\"obj-00003\":0,"
        + "\"obj-00041\":4000}"), page);
  }

  private static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
