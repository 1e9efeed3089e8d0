package io.gitstratum.coordinator.bench.jmh;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rebuilding the ring of a 1,000-node topology (16 points each, the default), as a client does
 * on every membership change it watches.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingRebuildBenchmark {
  private List<NodeInfo> nodes;
  private HashRingConfig config;

  @Setup
  public void setUp() {
    nodes = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      nodes.add(NodeInfo.newBuilder().setId("obj-" + i).setAddress("10.0.0." + (i % 250))
          .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT).setState(NodeState.NODE_STATE_ACTIVE)
          .setGenerationId("g-" + i).build());
    }
    config = HashRingConfig.newBuilder().setVirtualNodesPerPhysical(16).setReplicationFactor(3)
        .build();
  }

  @Benchmark
  public ConsistentHashRing rebuild1000Nodes() {
    return ConsistentHashRing.fromNodes(nodes, config);
  }
}
