package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl drain NODE}: marks a node DRAINING on the node's behalf, with a Heartbeat that
 * reports DRAINING and carries the node's registered generation id. The facade keeps DRAINING
 * until the node registers again, so the node's own heartbeats do not undo it.
 */
@Command(name = "drain", mixinStandardHelpOptions = true,
    description = "Mark a node DRAINING (writes stop landing on it).")
final class DrainCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Parameters(paramLabel = "NODE", description = "The node id.")
  String nodeId;

  @Override
  public void run() {
    try (CoordinatorClient client = root.connect()) {
      NodeLookup found = NodeLookup.find(client, nodeId);
      HeartbeatResponse answer = client.heartbeat(HeartbeatRequest.newBuilder()
          .setNodeId(nodeId)
          .setGenerationId(found.node().getGenerationId())
          .setReportedState(NodeState.NODE_STATE_DRAINING)
          .setKnownVersion(found.version())
          .build());
      root.spec.commandLine().getOut().printf(
          "node %s is DRAINING (was %s); topology version %d%n",
          nodeId, Formats.state(found.node().getState()), answer.getCurrentVersion());
    }
  }
}
