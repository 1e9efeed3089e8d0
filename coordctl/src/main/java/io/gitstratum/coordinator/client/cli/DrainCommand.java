package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.DrainNodeResponse;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl drain NODE}: marks a node DRAINING through the admin service (DrainNode), so
 * the change history says "drained by operator" with the operator as its actor. The topology is
 * read first, for the state the node had. The facade keeps DRAINING until the node registers
 * again, so the node's own heartbeats do not undo it.
 */
@Command(name = "drain", mixinStandardHelpOptions = true,
    description = "Mark a node DRAINING: writes stop landing on it (admin service).")
final class DrainCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Parameters(paramLabel = "NODE", description = "The node id.")
  String nodeId;

  @Override
  public void run() {
    try (CoordinatorClient client = root.connect()) {
      NodeLookup found = NodeLookup.find(client, nodeId);
      DrainNodeResponse answer = CoordCtl.admin(client, admin -> admin.drainNode(nodeId));
      root.spec.commandLine().getOut().printf(
          "node %s is DRAINING (was %s); topology version %d%n",
          nodeId, Formats.state(found.node().getState()), answer.getTopologyVersion());
    }
  }
}
