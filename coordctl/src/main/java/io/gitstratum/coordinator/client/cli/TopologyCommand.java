package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code coordctl topology}: every node as a table, or the GetTopology answer as JSON. */
@Command(name = "topology", mixinStandardHelpOptions = true,
    description = "Show the nodes: id, type, state, address, labels, "
    + "last change.")
final class TopologyCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Option(names = {"-o", "--output"}, defaultValue = "table",
      description = "table or json (default: table).")
  OutputFormat output;

  @Option(names = "--linearizable",
      description = "Read through etcd's current version (sees every acknowledged write).")
  boolean linearizable;

  enum OutputFormat { table, json }

  @Override
  public void run() {
    GetTopologyResponse topology;
    try (CoordinatorClient client = root.connect()) {
      topology = client.getTopology(linearizable);
    }
    PrintWriter out = root.spec.commandLine().getOut();
    if (output == OutputFormat.json) {
      out.println(Formats.json(topology));
      return;
    }
    List<NodeInfo> nodes = new ArrayList<>(topology.getFrontendNodesList());
    nodes.addAll(topology.getMetadataNodesList());
    nodes.addAll(topology.getObjectNodesList());
    out.printf("topology version %d, %d nodes, detector leader %s%n", topology.getVersion(),
        nodes.size(), topology.getLeaderId().isEmpty() ? "none" : topology.getLeaderId());
    if (nodes.isEmpty()) {
      return;
    }
    Formats.Table table = new Formats.Table("ID", "TYPE", "STATE", "ADDRESS", "LABELS",
        "LAST CHANGE");
    for (NodeInfo node : nodes) {
      table.row(node.getId(), Formats.type(node.getType()), Formats.state(node.getState()),
          Formats.address(node), Formats.labels(node.getLabelsMap()),
          Formats.time(node.getLastHeartbeatAt(), root.clock));
    }
    out.print(table);
  }
}
