package io.gitstratum.coordinator.facade.clientit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyListener;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TopologyWatcher listener that records what it hears: the version of every callback (to
 * check that the watcher neither skips nor repeats one) and one line per node event, such as
 * {@code "obj-1 ACTIVE"} or {@code "obj-1 removed"}.
 */
final class TopologyLog implements TopologyListener {
  /** One callback: its version and whether it was a full resync. */
  record Entry(long version, boolean resync, String nodeId, String what) {}

  private final List<Entry> entries = new CopyOnWriteArrayList<>();

  @Override
  public void nodeAdded(NodeInfo node, Topology topology) {
    entries.add(new Entry(topology.version(), false, node.getId(), state(node.getState())));
  }

  @Override
  public void nodeUpdated(NodeInfo previous, NodeInfo current, Topology topology) {
    entries.add(new Entry(topology.version(), false, current.getId(), state(current.getState())));
  }

  @Override
  public void nodeRemoved(NodeInfo removed, Topology topology) {
    entries.add(new Entry(topology.version(), false, removed.getId(), "removed"));
  }

  @Override
  public void resynced(Topology previous, Topology current) {
    entries.add(new Entry(current.version(), true, "", "resynced"));
  }

  static String state(NodeState state) {
    return state.name().replace("NODE_STATE_", "");
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** What happened to one node, in order: e.g. [JOINING, ACTIVE, DRAINING, removed]. */
  List<String> history(String nodeId) {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.nodeId().equals(nodeId)) {
        out.add(e.what());
      }
    }
    return out;
  }

  long resyncs() {
    return entries.stream().filter(Entry::resync).count();
  }

  /** Every callback after the first advanced the version by exactly 1. */
  void assertNoGapOrRepeat() {
    List<Entry> all = entries();
    for (int i = 1; i < all.size(); i++) {
      assertEquals(all.get(i - 1).version() + 1, all.get(i).version(),
          "version " + all.get(i).version() + " after " + all.get(i - 1).version() + " in "
              + all);
    }
  }
}
