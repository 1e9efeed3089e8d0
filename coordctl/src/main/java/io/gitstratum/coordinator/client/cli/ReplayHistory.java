package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.NodeState;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

/**
 * For {@code coordctl watch --since}: the state each replayed change left behind, so a replay
 * says "(was X)" as a live watch does. A replay carries no full_sync, so for a node not seen yet
 * the earlier state comes from the admin service's history, read a page ahead at a time
 * (oldest first, {@link #PAGE} changes) as the replay reaches versions it has not read. Only the
 * current page is kept. When the history cannot be read (no operator certificate, an older
 * facade) one comment line says so and nothing more is asked. Used from one thread.
 */
final class ReplayHistory {
  static final int PAGE = HistoryCommand.MAX_LIMIT;

  private final CoordinatorClient client;
  private final PrintWriter err;
  private final int pageSize;
  private final Map<Long, NodeState> previous = new HashMap<>();
  /** Every retained change up to this version has been read. */
  private long readUpTo;
  private boolean unreadable;

  ReplayHistory(CoordinatorClient client, PrintWriter err, long since) {
    this(client, err, since, PAGE);
  }

  ReplayHistory(CoordinatorClient client, PrintWriter err, long since, int pageSize) {
    this.client = client;
    this.err = err;
    this.readUpTo = since;
    this.pageSize = pageSize;
  }

  /** The node's state before the change of {@code version}; UNKNOWN when not recorded. */
  NodeState previousState(long version) {
    if (version > readUpTo && !unreadable) {
      read(version - 1);
    }
    return previous.getOrDefault(version, NodeState.NODE_STATE_UNKNOWN);
  }

  private void read(long after) {
    try {
      GetHistoryResponse page = CoordCtl.admin(client, admin -> admin.getHistory(
          GetHistoryRequest.newBuilder().setSinceVersion(after).setLimit(pageSize)
              .setOldestFirst(true).build()));
      previous.clear(); // a replay only moves forward
      for (Change change : page.getChangesList()) {
        if (change.getPreviousState() != NodeState.NODE_STATE_UNKNOWN) {
          previous.put(change.getVersion(), change.getPreviousState());
        }
      }
      readUpTo = page.getChangesCount() == 0 ? after + 1
          : page.getChanges(page.getChangesCount() - 1).getVersion();
    } catch (CoordinatorClientException | CoordCtl.CliException e) {
      unreadable = true;
      err.println("# replayed changes without (was X): " + e.getMessage());
      err.flush();
    }
  }
}
