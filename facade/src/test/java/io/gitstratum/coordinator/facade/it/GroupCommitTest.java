package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.KeyValue;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group commit under contention: 3 replicas × 32 callers registering, and re-registering with
 * changes, the same 40 ids. Versions stay dense, and every caller's answer is true of the
 * topology at the version it was given.
 */
@Tag("etcd")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GroupCommitTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  record Call(NodeInfo sent, RegisterNodeResponse answer) {}

  @Test
  void denseVersionsAndTruthfulAnswersUnderContention() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      List<CoordinatorServiceBlockingStub> replicas = List.of(
          harness.stub(harness.start("group")), harness.stub(harness.start("group")),
          harness.stub(harness.start("group")));
      ExecutorService callers = Executors.newFixedThreadPool(96);
      List<Future<List<Call>>> results = new ArrayList<>();
      for (int c = 0; c < 96; c++) {
        CoordinatorServiceBlockingStub replica = replicas.get(c % 3);
        Random random = new Random(c);
        results.add(callers.submit(() -> {
          List<Call> calls = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            NodeInfo node = NodeInfo.newBuilder().setId("n" + random.nextInt(40))
                .setAddress("10.0.0.1").setPort(7000 + random.nextInt(2))
                .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g").build();
            calls.add(new Call(node, replica.registerNode(
                RegisterNodeRequest.newBuilder().setNode(node).build())));
          }
          return calls;
        }));
      }
      List<Call> all = new ArrayList<>();
      for (Future<List<Call>> f : results) {
        all.addAll(f.get(150, TimeUnit.SECONDS));
      }
      callers.shutdown();

      // The event log: versions 1..N, each following the previous.
      List<Topology> history = new ArrayList<>();
      Topology topology = Topology.empty();
      history.add(topology);
      for (KeyValue kv : harness.etcdPrefix(FacadeHarness.keys("group").eventsPrefix())) {
        TopologyUpdate update = RecordCodec.decodeUpdate("e", kv.getValue().getBytes());
        assertEquals(topology.version() + 1, update.getVersion(), "dense versions");
        topology = topology.apply(update);
        history.add(topology);
      }
      assertEquals(40, topology.size(), "every id drawn by the seeded callers is registered");

      Map<String, Integer> firstAdds = new HashMap<>();
      for (Call call : all) {
        long version = call.answer().getTopologyVersion();
        assertTrue(version < history.size(), "answered version exists: " + version);
        NodeInfo held = history.get((int) version).node(call.sent().getId()).orElseThrow(
            () -> new AssertionError("node missing at the version its caller was given"));
        assertEquals(call.sent().getPort(), held.getPort(),
            "the topology at the answered version holds what the caller registered");
        if (!call.answer().getAlreadyRegistered()) {
          firstAdds.merge(call.sent().getId(), 1, Integer::sum);
          assertTrue(history.get((int) version - 1).node(call.sent().getId()).isEmpty(),
              "a first registration answers the version that added the node");
        }
      }
      assertEquals(topology.size(), firstAdds.size());
      assertTrue(firstAdds.values().stream().allMatch(n -> n == 1),
          "exactly one caller added each node: " + firstAdds);
      System.out.printf("group-commit calls %d versions %d%n", all.size(), topology.version());
    }
  }
}
