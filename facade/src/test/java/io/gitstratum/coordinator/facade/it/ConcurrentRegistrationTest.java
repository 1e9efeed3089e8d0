package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.etcd.jetcd.KeyValue;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two replicas on one etcd, 100 concurrent registrations: dense versions, every node, every event. */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentRegistrationTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void hundredRegistrationsThroughTwoReplicasGetVersionsOneToHundred() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      List<CoordinatorServiceBlockingStub> replicas = List.of(
          harness.stub(harness.start("concurrent")), harness.stub(harness.start("concurrent")));
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<Long>> versions = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        CoordinatorServiceBlockingStub replica = replicas.get(i % 2);
        NodeInfo node = NodeInfo.newBuilder().setId("node-" + i).setAddress("10.0.0." + (i % 250))
            .setPort(7000 + i).setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g").build();
        versions.add(pool.submit(() -> replica.registerNode(
            RegisterNodeRequest.newBuilder().setNode(node).build()).getTopologyVersion()));
      }
      Set<Long> answered = new TreeSet<>();
      for (Future<Long> v : versions) {
        answered.add(v.get(60, TimeUnit.SECONDS));
      }
      pool.shutdown();
      Set<Long> expected = LongStream.rangeClosed(1, 100).boxed().collect(Collectors.toSet());
      assertEquals(expected, answered, "each caller got its own version, 1..100 with no gap");

      for (CoordinatorServiceBlockingStub replica : replicas) {
        GetTopologyResponse topology = replica.getTopology(
            GetTopologyRequest.newBuilder().setLinearizable(true).build());
        assertEquals(100, topology.getVersion());
        assertEquals(100, topology.getObjectNodesCount());
      }
      Keyspace keys = FacadeHarness.keys("concurrent");
      List<KeyValue> events = harness.etcdPrefix(keys.eventsPrefix());
      assertEquals(100, events.size());
      Set<String> added = new TreeSet<>();
      for (int i = 0; i < events.size(); i++) {
        TopologyUpdate update = RecordCodec.decodeUpdate("e", events.get(i).getValue().getBytes());
        assertEquals(i + 1, update.getVersion(), "events are stored in version order");
        assertEquals(i, update.getPreviousVersion());
        added.add(update.getNodeAdded().getId());
      }
      assertEquals(100, added.size());
    }
  }
}
