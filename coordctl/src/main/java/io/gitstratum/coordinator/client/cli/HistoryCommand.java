package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl history}: the retained topology changes with why and by whom (GetHistory of
 * the admin service), one line per change, oldest first; see {@link Formats#history}.
 */
@Command(name = "history", mixinStandardHelpOptions = true,
    description = "Show the retained topology changes, oldest first: version, time, node, kind, "
    + "state after it (was: before it), reason, actor (admin service); with them, without a "
    + "version, the failure detector's pauses, resumes and zone protection.")
final class HistoryCommand implements Runnable {
  /** The facade's limit on one answer. */
  static final int MAX_LIMIT = 1000;

  @ParentCommand
  CoordCtl root;

  @Option(names = "--node", paramLabel = "ID", description = "Only this node's changes.")
  String node;

  @Option(names = "--since", paramLabel = "VERSION", defaultValue = "0",
      description = "The first --limit changes after this topology version, paging forward "
      + "(default: the newest --limit).")
  long since;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
      description = "At most N matching changes, 1-" + MAX_LIMIT + " (default: 100).")
  int limit;

  @Override
  public void run() {
    if (since < 0) {
      throw new CommandLine.ParameterException(root.spec.commandLine(), "--since must be >= 0");
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new CommandLine.ParameterException(root.spec.commandLine(),
          "--limit must be 1-" + MAX_LIMIT);
    }
    // An explicit --since pages forward from it; without, the newest changes.
    GetHistoryRequest request = GetHistoryRequest.newBuilder()
        .setNodeId(node == null ? "" : node).setSinceVersion(since).setLimit(limit)
        .setOldestFirst(since > 0).build();
    GetHistoryResponse history = root.admin(admin -> admin.getHistory(request));
    PrintWriter out = root.spec.commandLine().getOut();
    out.print(Formats.history(history, since));
    if (since > 0 && history.getChangesCount() == limit) {
      out.printf("(more: --since %d)%n", history.getChanges(limit - 1).getVersion());
    } else if (since == 0 && history.getOldestRetainedAt() > 0) {
      out.printf("(history goes back to %s)%n", Formats.instant(history.getOldestRetainedAt()));
    }
  }
}
