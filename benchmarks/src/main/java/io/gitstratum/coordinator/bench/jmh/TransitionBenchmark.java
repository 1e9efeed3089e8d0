package io.gitstratum.coordinator.bench.jmh;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.core.HeartbeatOutcome;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The facade's pure core on a topology of {@code nodes} nodes: the register transition (a new
 * node, and an idempotent re-registration), the heartbeat transition, and applying one change
 * to a topology, which the replica's cache and write path do for every committed change. The
 * 30,000-node case shows how those costs grow with the cluster.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TransitionBenchmark {
  private static final LivenessView ALL_ALIVE = new LivenessView() {
    @Override
    public boolean hasAlive(String nodeId) {
      return true;
    }

    @Override
    public boolean hasGrace(String nodeId) {
      return false;
    }

    @Override
    public boolean isDrained(String nodeId) {
      return false;
    }
  };

  @Param({"1000", "30000"})
  int nodes;

  private Topology topology;
  private NodeInfo newNode;
  private NodeInfo existingNode;
  private HeartbeatRequest beat;
  private TopologyUpdate added;

  @Setup
  public void setUp() {
    List<NodeInfo> all = new ArrayList<>(nodes);
    for (int i = 0; i < nodes; i++) {
      all.add(node("obj-" + i).toBuilder().setState(NodeState.NODE_STATE_ACTIVE).build());
    }
    topology = Topology.of(nodes, all, HashRingConfig.newBuilder()
        .setVirtualNodesPerPhysical(16).setReplicationFactor(3).build());
    newNode = node("obj-new");
    existingNode = node("obj-7");
    beat = HeartbeatRequest.newBuilder().setNodeId("obj-7").setGenerationId("g-obj-7")
        .setReportedState(NodeState.NODE_STATE_ACTIVE).build();
    added = TopologyTransitions.register(topology, newNode, 1L).updates().get(0);
  }

  private static NodeInfo node(String id) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g-" + id).build();
  }

  @Benchmark
  public Transition<RegisterNodeResponse> registerNewNode() {
    return TopologyTransitions.register(topology, newNode, 1L);
  }

  @Benchmark
  public Transition<RegisterNodeResponse> registerSameNodeAgain() {
    return TopologyTransitions.register(topology, existingNode, 1L);
  }

  @Benchmark
  public Transition<HeartbeatOutcome> heartbeatActiveNode() {
    return TopologyTransitions.heartbeat(topology, ALL_ALIVE, beat, 1L);
  }

  /** What the replica's cache does per committed revision: a full copy of the node map. */
  @Benchmark
  public Topology applyOneChange() {
    return topology.apply(added);
  }
}
