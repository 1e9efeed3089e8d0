package io.gitstratum.coordinator.facade.history;

import io.gitstratum.coordinator.proto.NodeInfo;
import java.util.List;
import java.util.Map;

/**
 * Everything one run recorded, for {@link HistoryChecker}: etcd's change log from an empty
 * cluster (version 0), every client call with its answer, every watch stream, and what etcd and
 * each live replica held at the end.
 */
public record History(List<LoggedEvent> log, List<Operation> operations,
    List<WatchSegment> watches, End end) {

  public History {
    log = List.copyOf(log);
    operations = List.copyOf(operations);
    watches = List.copyOf(watches);
  }

  /**
   * The final state, read once every call was answered and the faults were lifted.
   *
   * @param etcdVersion {@code P/topology/version}
   * @param etcdNodes {@code P/nodes/}
   * @param replicas per live replica, its cache's topology (GetTopology, not linearizable)
   */
  public record End(long etcdVersion, List<NodeInfo> etcdNodes, Map<String, Snapshot> replicas) {
    public End {
      etcdNodes = List.copyOf(etcdNodes);
      replicas = Map.copyOf(replicas);
    }
  }

  /** One replica's topology: its version and nodes. */
  public record Snapshot(long version, List<NodeInfo> nodes) {
    public Snapshot {
      nodes = List.copyOf(nodes);
    }
  }
}
