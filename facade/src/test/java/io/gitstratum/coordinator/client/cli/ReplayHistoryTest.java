package io.gitstratum.coordinator.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code coordctl watch --since}'s earlier states across pages of the history (here pages of 3
 * changes, so a replay of 10 reads four pages): every replayed change gets the state the
 * history recorded before it, from wherever the replay starts. Lives in coordctl's package to
 * reach the package-private class; runs against a real facade.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplayHistoryTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void everyReplayedChangeGetsItsEarlierStateAcrossPages() {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer replica = harness.start("replay");
      try (CoordinatorClient client = CoordinatorClient.builder(
          List.of("127.0.0.1:" + replica.port())).build()) {
        for (int i = 0; i < 4; i++) {
          client.registerNode(TestNodes.node("n" + i)); // v1-v4: added
        }
        for (int i = 0; i < 4; i++) {
          client.heartbeat(TestNodes.beat("n" + i, NodeState.NODE_STATE_ACTIVE)); // v5-v8
        }
        client.admin().drainNode("n1"); // v9
        client.deregisterNode("n2", "g-n2"); // v10

        Map<Long, NodeState> recorded = new TreeMap<>();
        for (Change change : client.admin().getHistory(GetHistoryRequest.newBuilder()
            .setLimit(1000).build()).getChangesList()) {
          recorded.put(change.getVersion(), change.getPreviousState());
        }
        assertEquals(10, recorded.size());
        assertEquals(NodeState.NODE_STATE_ACTIVE, recorded.get(9L), "drained: was ACTIVE");

        for (long since : new long[] {0, 6}) {
          StringWriter err = new StringWriter();
          ReplayHistory history = new ReplayHistory(client, new PrintWriter(err, true), since, 3);
          Map<Long, NodeState> replayed = new TreeMap<>();
          for (long v = since + 1; v <= 10; v++) {
            replayed.put(v, history.previousState(v));
          }
          assertEquals(new TreeMap<>(recorded).tailMap(since, false), replayed, "since " + since);
          assertEquals("", err.toString());
        }
      }
    }
  }
}
