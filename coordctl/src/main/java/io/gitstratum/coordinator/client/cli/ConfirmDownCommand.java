package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.ConfirmDownResponse;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl confirm-down NODE...}: writes SUSPECT nodes DOWN now through the admin service
 * (ConfirmDown): no grace period, no zone protection, no pause. The topology is read first, so an
 * unknown id fails (exit code 4) before anything is written; a node that is not SUSPECT (nor DOWN
 * already) makes the facade refuse them all (FAILED_PRECONDITION, reason NODE_STATE).
 */
@Command(name = "confirm-down", mixinStandardHelpOptions = true,
    description = "Mark SUSPECT nodes DOWN now, without waiting for their grace period, zone "
    + "protection or a pause (admin service).")
final class ConfirmDownCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Parameters(paramLabel = "NODE", arity = "1..*", description = "Node ids, each SUSPECT (or "
      + "DOWN already).")
  List<String> nodeIds;

  @Override
  public void run() {
    List<String> ids = new ArrayList<>(new LinkedHashSet<>(nodeIds));
    try (CoordinatorClient client = root.connect()) {
      List<NodeLookup> found = NodeLookup.findAll(client, ids);
      ConfirmDownResponse answer = CoordCtl.admin(client, admin -> admin.confirmDown(ids));
      PrintWriter out = root.spec.commandLine().getOut();
      for (NodeLookup node : found) {
        out.printf("node %s is DOWN (was %s)%n", node.node().getId(),
            Formats.state(node.node().getState()));
      }
      out.printf("topology version %d%n", answer.getTopologyVersion());
    }
  }
}
