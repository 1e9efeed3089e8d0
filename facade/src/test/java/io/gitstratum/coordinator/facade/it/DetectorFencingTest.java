package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Key;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A detector whose session etcd ended while it keeps running (and still believes it leads, until
 * its next election tick) must not decide anything once its election key is gone: its decisions
 * compare that key in the same transaction. Checked in etcd's own records, by revision.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DetectorFencingTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  private static final int NODES = 20;
  private static final Duration SHORT = Duration.ofSeconds(3);

  @Test
  void aDeposedDetectorCommitsNoDecisionAfterItsSessionEnded() throws Exception {
    FacadeHarness harness = facades.harness();
    String cluster = facades.cluster();
    Keyspace keys = FacadeHarness.keys(cluster);
    // The old leader renews its session every 5 s (a quarter of 20 s): after its lease is
    // revoked it goes on believing it leads for seconds, as one whose renewals etcd stopped
    // seeing would. The rival renews and campaigns every 0.5 s.
    FacadeServer old = harness.start(cluster,
        c -> c.withDetector(c.detector().withSessionTtl(Duration.ofSeconds(20))));
    CoordinatorServiceBlockingStub oldStub = harness.stub(old);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> oldStub.getLeader(
        GetLeaderRequest.getDefaultInstance()).getIsLeader());
    FacadeServer rival = harness.start(cluster);
    CoordinatorServiceBlockingStub stub = harness.stub(rival);
    for (int i = 0; i < NODES; i++) {
      stub.registerNode(RegisterNodeRequest.newBuilder().setNode(LivenessTest.node("n" + i))
          .build());
    }

    // Right after the old leader renewed its session (the lease's TTL back at 19-20 s),
    // so that it keeps believing it leads for about 4 s more, its session ends in etcd.
    long session = lease(harness, keys.facade("replica-0"));
    Awaitility.await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(50))
        .until(() -> harness.etcd().getLeaseClient().timeToLive(session,
            LeaseOption.DEFAULT).get(2, TimeUnit.SECONDS).getTTL() >= 19);
    long deposedAt = harness.etcd().getLeaseClient().revoke(session).get(2, TimeUnit.SECONDS)
        .getHeader().getRevision();
    Awaitility.await().atMost(SHORT).pollInterval(Duration.ofMillis(20)).until(() -> stub
        .getLeader(GetLeaderRequest.getDefaultInstance()).getIsLeader());
    assertTrue(oldStub.getLeader(GetLeaderRequest.getDefaultInstance()).getIsLeader(),
        "the old leader has not noticed yet: both believe they lead");

    // Nodes' leases end one by one while both believe they lead: both detectors race to
    // suspect each.
    for (int i = 0; i < NODES; i++) {
      harness.etcd().getLeaseClient().revoke(lease(harness, keys.alive("n" + i)))
          .get(2, TimeUnit.SECONDS);
      Thread.sleep(100); // spaced out: each a decision of its own, not one batch
    }
    Awaitility.await().atMost(SHORT).until(() -> stub.getTopology(
        GetTopologyRequest.newBuilder().setLinearizable(true).build()).getObjectNodesList()
        .stream().filter(n -> n.getState() == NodeState.NODE_STATE_SUSPECT).count() == NODES);

    List<Decision> decisions = decisions(harness, keys);
    assertEquals(NODES, decisions.size(), "each node suspected once: " + decisions);
    long rivalFirst = decisions.stream().filter(d -> d.actor().equals("detector:replica-1"))
        .mapToLong(Decision::revision).min().orElseThrow();
    List<Decision> late = decisions.stream().filter(d -> d.actor().equals("detector:replica-0")
        && (d.revision() > deposedAt || d.revision() > rivalFirst)).toList();
    assertEquals(List.of(), late, "decisions of the old leader after its session ended ("
        + "revision " + deposedAt + ") or after the new leader's first (" + rivalFirst + ")");
    assertFalse(oldStub.getLeader(GetLeaderRequest.getDefaultInstance()).getIsLeader());
  }

  /** A SUSPECT decision as etcd recorded it: at which revision, by whom, about which node. */
  private record Decision(long revision, String actor, String nodeId) {}

  private static List<Decision> decisions(FacadeHarness harness, Keyspace keys) {
    Map<Long, TopologyUpdate> events = new HashMap<>();
    for (KeyValue kv : harness.etcdPrefix(keys.eventsPrefix())) {
      TopologyUpdate update = RecordCodec.decodeUpdate("e", kv.getValue().getBytes());
      events.put(update.getVersion(), update);
    }
    List<Decision> decisions = new ArrayList<>();
    for (KeyValue kv : harness.etcdPrefix(keys.historyPrefix())) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      if (keys.parse(key) instanceof Key.History h) {
        ChangeRecord why = RecordCodec.decodeChange(key, kv.getValue().getBytes());
        TopologyUpdate update = events.get(h.version());
        if (why.getActor().startsWith("detector:") && update != null
            && update.getNodeUpdated().getState() == NodeState.NODE_STATE_SUSPECT) {
          decisions.add(new Decision(kv.getModRevision(), why.getActor(),
              update.getNodeUpdated().getId()));
        }
      }
    }
    return decisions;
  }

  private static long lease(FacadeHarness harness, String key) throws Exception {
    List<KeyValue> found = harness.etcd().getKVClient().get(FacadeHarness.bytes(key))
        .get(2, TimeUnit.SECONDS).getKvs();
    assertEquals(1, found.size(), key);
    return found.get(0).getLease();
  }
}
