package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl deregister NODE}: removes a node, naming the generation it has now, so a process
 * that restarted under the same id in the meantime is not removed by mistake (that case fails
 * with FAILED_PRECONDITION). A running NodeAgent registers its node again on its next heartbeat:
 * stop the process first.
 */
@Command(name = "deregister", mixinStandardHelpOptions = true,
    description = "Remove a node from the topology.")
final class DeregisterCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Parameters(paramLabel = "NODE", description = "The node id.")
  String nodeId;

  @Override
  public void run() {
    try (CoordinatorClient client = root.connect()) {
      NodeLookup found = NodeLookup.find(client, nodeId);
      DeregisterNodeResponse answer = client.deregisterNode(nodeId,
          found.node().getGenerationId());
      root.spec.commandLine().getOut().printf(
          "node %s deregistered (was %s); topology version %d%n",
          nodeId, Formats.state(found.node().getState()), answer.getTopologyVersion());
    }
  }
}
