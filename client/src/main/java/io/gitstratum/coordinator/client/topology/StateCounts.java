package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.Arrays;

/**
 * How many nodes a topology has of each (type, state), kept up to date as changes are applied so
 * that health checks, metrics and mass-expiry protection do not walk every node. Immutable.
 */
final class StateCounts {
  // Indexed by ordinal; protobuf's UNRECOGNIZED (a newer peer's value) is a constant with its own slot.
  private static final int TYPES = NodeType.values().length;
  private static final int STATES = NodeState.values().length;
  static final StateCounts NONE = new StateCounts(new int[TYPES * STATES]);

  private final int[] counts;

  private StateCounts(int[] counts) {
    this.counts = counts;
  }

  int of(NodeType type, NodeState state) {
    return counts[index(type.ordinal(), state.ordinal())];
  }

  int of(NodeState state) {
    int n = 0;
    for (int type = 0; type < TYPES; type++) {
      n += counts[index(type, state.ordinal())];
    }
    return n;
  }

  Builder toBuilder() {
    return new Builder(counts);
  }

  private static int index(int type, int state) {
    return type * STATES + state;
  }

  static final class Builder {
    private final int[] counts;

    private Builder(int[] from) {
      this.counts = Arrays.copyOf(from, from.length);
    }

    void add(NodeInfo node, int delta) {
      counts[index(node.getType().ordinal(), node.getState().ordinal())] += delta;
    }

    StateCounts build() {
      return new StateCounts(Arrays.copyOf(counts, counts.length));
    }
  }
}
