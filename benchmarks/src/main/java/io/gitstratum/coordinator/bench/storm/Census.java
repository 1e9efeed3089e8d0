package io.gitstratum.coordinator.bench.storm;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The object nodes as etcd holds them now (GetTopology with {@code linearizable}), counted by
 * state, and waits for a condition on them.
 */
final class Census {
  private static final Duration POLL = Duration.ofMillis(100);
  private final CoordinatorServiceBlockingStub stub;

  Census(CoordinatorServiceBlockingStub stub) {
    // 100,000 nodes of four labels are about 15 MB: above gRPC's default 4 MB.
    this.stub = stub.withMaxInboundMessageSize(256 << 20);
  }

  List<NodeInfo> nodes() {
    return stub.withDeadlineAfter(20, TimeUnit.SECONDS)
        .getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
        .getObjectNodesList();
  }

  static long count(List<NodeInfo> nodes, Predicate<NodeInfo> which) {
    return nodes.stream().filter(which).count();
  }

  static Predicate<NodeInfo> in(NodeState state) {
    return node -> node.getState() == state;
  }

  static Predicate<NodeInfo> inZone(String zone) {
    return node -> zone.equals(node.getLabelsMap().get("zone"));
  }

  /**
   * Polls until {@code until} holds on the nodes, at most {@code timeout}.
   *
   * @return the nodes at the first poll where it held
   * @throws IllegalStateException when it never did, naming {@code what}
   */
  List<NodeInfo> await(String what, Duration timeout, Predicate<List<NodeInfo>> until)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer yet";
    while (true) {
      try {
        List<NodeInfo> now = nodes();
        if (until.test(now)) {
          return now;
        }
        last = summary(now);
      } catch (StatusRuntimeException e) {
        // A replica busy with the storm may not answer one poll in time; the next may.
        last = e.getStatus().toString();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " not reached within " + timeout + ": " + last);
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** Counts by state, for messages. */
  static String summary(List<NodeInfo> nodes) {
    java.util.Map<NodeState, Long> byState = new java.util.TreeMap<>();
    nodes.forEach(n -> byState.merge(n.getState(), 1L, Long::sum));
    return byState.toString();
  }
}
