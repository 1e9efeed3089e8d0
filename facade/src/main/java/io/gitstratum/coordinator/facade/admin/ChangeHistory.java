package io.gitstratum.coordinator.facade.admin;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore.RecordedChange;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.util.List;
import java.util.Locale;

/** The change history as GetHistory answers it (pure): events and their records, as people read them. */
public final class ChangeHistory {
  private ChangeHistory() {}

  /**
   * The newest (or, {@code oldestFirst}, the oldest) {@code limit} changes of {@code nodeId} (all
   * nodes when empty), oldest first.
   *
   * @param retained the retained changes in version order, as the store reads them
   */
  static GetHistoryResponse answer(List<RecordedChange> retained, String nodeId, int limit,
      boolean oldestFirst) {
    List<Change> matching = retained.stream().map(ChangeHistory::change)
        .filter(c -> nodeId.isEmpty() || c.getNodeId().equals(nodeId)).toList();
    int from = oldestFirst ? 0 : Math.max(0, matching.size() - limit);
    GetHistoryResponse.Builder answer = GetHistoryResponse.newBuilder()
        .addAllChanges(matching.subList(from, Math.min(matching.size(), from + limit)));
    if (!retained.isEmpty()) {
      answer.setOldestRetainedVersion(retained.get(0).update().getVersion());
    }
    return answer.build();
  }

  public static Change change(RecordedChange recorded) {
    TopologyUpdate update = recorded.update();
    Change.Builder change = Change.newBuilder().setVersion(update.getVersion());
    switch (update.getUpdateCase()) {
      case NODE_ADDED -> node(change, "added", update.getNodeAdded());
      case NODE_UPDATED -> node(change, "updated", update.getNodeUpdated());
      case NODE_REMOVED -> change.setKind("removed").setNodeId(update.getNodeRemoved())
          .setState(NodeState.NODE_STATE_UNKNOWN);
      default -> change.setKind("ring");
    }
    if (recorded.why().isPresent()) {
      ChangeRecord why = recorded.why().get();
      change.setReason(words(why.getReason())).setActor(why.getActor()).setAt(why.getAt())
          .setPreviousState(why.getPreviousState());
    } else {
      change.setReason("unrecorded");
    }
    return change.build();
  }

  /** {@code CHANGE_REASON_LEASE_EXPIRED} reads "lease expired". */
  static String words(ChangeReason reason) {
    return reason.name().replaceFirst("^CHANGE_REASON_", "").replace('_', ' ')
        .toLowerCase(Locale.ROOT);
  }

  private static void node(Change.Builder change, String kind, NodeInfo node) {
    change.setKind(kind).setNodeId(node.getId()).setState(node.getState());
  }
}
