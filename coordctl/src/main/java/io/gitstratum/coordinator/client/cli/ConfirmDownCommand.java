package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.ConfirmDownOutcome;
import io.gitstratum.coordinator.admin.ConfirmDownResponse;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl confirm-down NODE...}: writes SUSPECT nodes DOWN now through the admin service
 * (ConfirmDown): no grace period, no zone protection, no pause. The topology is read first, so an
 * unknown id fails (exit code 4) before anything is written; a node that is not SUSPECT (nor DOWN
 * already) makes the facade refuse them all (FAILED_PRECONDITION, reason NODE_STATE). Each node
 * DOWN has its generation fenced: its process cannot heartbeat back and must register again.
 * A node the facade could not write (it heartbeated meanwhile, etcd) is named on stderr and the
 * exit code is 1.
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
      Map<String, NodeLookup> before = new HashMap<>();
      found.forEach(node -> before.put(node.node().getId(), node));
      int failed = 0;
      for (ConfirmDownOutcome node : answer.getNodesList()) {
        switch (node.getResult()) {
          case RESULT_DOWN -> out.printf("node %s is DOWN (was %s) at version %d; its generation "
                  + "is fenced: it must register again to come back%n", node.getNodeId(),
              Formats.state(before.get(node.getNodeId()).node().getState()), node.getVersion());
          case RESULT_ALREADY_DOWN -> out.printf("node %s was DOWN already%n", node.getNodeId());
          case RESULT_UNKNOWN_NODE -> out.printf("node %s is not registered%n", node.getNodeId());
          default -> {
            failed++;
            root.spec.commandLine().getErr().printf("node %s not written DOWN: %s%n",
                node.getNodeId(), node.getError());
          }
        }
      }
      out.printf("topology version %d%n", answer.getTopologyVersion());
      if (failed > 0) {
        throw new CoordCtl.CliException(failed + " of " + Formats.count(ids.size(), "node")
            + " not written DOWN; run confirm-down again for them");
      }
    }
  }
}
