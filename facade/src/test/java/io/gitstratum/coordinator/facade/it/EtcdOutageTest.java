package io.gitstratum.coordinator.facade.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** etcd stopped: UNAVAILABLE within the deadline; etcd back: the same facade serves again. */
@Tag("etcd")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdOutageTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static RegisterNodeRequest register(String id) {
    return RegisterNodeRequest.newBuilder().setNode(NodeInfo.newBuilder().setId(id)
        .setAddress("10.0.0.1").setPort(7000).setType(NodeType.NODE_TYPE_OBJECT)
        .setGenerationId("g")).build();
  }

  private static HeartbeatRequest heartbeat(String id) {
    return HeartbeatRequest.newBuilder().setNodeId(id).setGenerationId("g")
        .setReportedState(NodeState.NODE_STATE_ACTIVE).build();
  }

  @Test
  void unavailableWhileEtcdIsDownThenServesAgain() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      CoordinatorServiceBlockingStub facade = harness.stub(harness.start("outage"));
      assertEquals(1, facade.registerNode(register("before")).getTopologyVersion());
      assertEquals(2, facade.heartbeat(heartbeat("before")).getCurrentVersion()); // now ACTIVE

      etcd.cluster().stopMember(0);
      long started = System.nanoTime();
      StatusRuntimeException write = assertThrows(StatusRuntimeException.class,
          () -> facade.registerNode(register("during")));
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      assertEquals(Status.Code.UNAVAILABLE, write.getStatus().getCode());
      // etcd timeout is 2 s in the harness: a bounded wait, not the 30 s gRPC deadline.
      assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
      StatusRuntimeException read = assertThrows(StatusRuntimeException.class,
          () -> facade.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build()));
      assertEquals(Status.Code.UNAVAILABLE, read.getStatus().getCode());
      // An ACTIVE node's heartbeat is one lease renewal, answered without holding a thread: it
      // must still end within the etcd deadline.
      started = System.nanoTime();
      StatusRuntimeException beat = assertThrows(StatusRuntimeException.class,
          () -> facade.heartbeat(heartbeat("before")));
      assertEquals(Status.Code.UNAVAILABLE, beat.getStatus().getCode());
      took = Duration.ofNanos(System.nanoTime() - started);
      assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "heartbeat took " + took);

      etcd.cluster().restartMember(0);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> facade.registerNode(register("after")).getTopologyVersion() >= 3);
      var topology = facade.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true)
          .build());
      assertTrue(topology.getObjectNodesList().stream().anyMatch(n -> n.getId().equals("after")));
      assertTrue(topology.getObjectNodesList().stream().anyMatch(n -> n.getId().equals("before")));
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
          .until(() -> facade.heartbeat(heartbeat("before")).getCurrentVersion() >= 3);
    }
  }
}
