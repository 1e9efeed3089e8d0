package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.GetHistoryResponse;
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
    + "state after it (was: before it), reason, actor (admin service).")
final class HistoryCommand implements Runnable {
  /** The facade's limit on one answer. */
  static final int MAX_LIMIT = 1000;

  @ParentCommand
  CoordCtl root;

  @Option(names = "--node", paramLabel = "ID", description = "Only this node's changes.")
  String node;

  @Option(names = "--since", paramLabel = "VERSION", defaultValue = "0",
      description = "Only changes after this topology version (default: from the oldest "
      + "retained).")
  long since;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
      description = "The newest N matching changes, 1-" + MAX_LIMIT + " (default: 100).")
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
    GetHistoryResponse history = root.admin(admin -> admin.getHistory(node, since, limit));
    root.spec.commandLine().getOut().print(Formats.history(history, since));
  }
}
