package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.NodeState;

/**
 * Mass-expiry protection (pure). When most live nodes go SUSPECT together, the fault is more
 * likely the facades' or the network's than the nodes', so SUSPECT→DOWN pauses, as Kubernetes'
 * node lifecycle controller and Eureka's self-preservation do. Live means JOINING, ACTIVE,
 * DRAINING or SUSPECT. Every replica computes the same answer from its cache.
 */
public final class MassExpiryGuard {
  private final double share;
  private final int minSuspects;

  public MassExpiryGuard(double share, int minSuspects) {
    this.share = share;
    this.minSuspects = minSuspects;
  }

  public boolean protecting(Topology topology) {
    int suspect = topology.count(NodeState.NODE_STATE_SUSPECT);
    int live = suspect + topology.count(NodeState.NODE_STATE_JOINING)
        + topology.count(NodeState.NODE_STATE_ACTIVE)
        + topology.count(NodeState.NODE_STATE_DRAINING);
    return protecting(suspect, live);
  }

  boolean protecting(int suspect, int live) {
    return suspect >= minSuspects && suspect > share * live;
  }
}
