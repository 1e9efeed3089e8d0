package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    Optional<String> warning = Optional.empty();
    try (CoordinatorClient client = root.connect()) {
      topology = client.getTopology(linearizable);
      if (!linearizable) {
        // A replica cut off from etcd still answers from its cache: say so, once.
        try {
          warning = staleWarning(client.healthCheck());
        } catch (RuntimeException e) {
          warning = Optional.empty(); // the read itself answered; the warning is a courtesy
        }
      }
    }
    warning.ifPresent(root.spec.commandLine().getErr()::println);
    PrintWriter out = root.spec.commandLine().getOut();
    if (output == OutputFormat.json) {
      out.println(Formats.json(topology));
      return;
    }
    List<NodeInfo> nodes = new ArrayList<>(topology.getFrontendNodesList());
    nodes.addAll(topology.getMetadataNodesList());
    nodes.addAll(topology.getObjectNodesList());
    out.printf("topology version %d, %s, detector leader %s%n", topology.getVersion(),
        Formats.count(nodes.size(), "node"), topology.getLeaderId().isEmpty() ? "none" : topology.getLeaderId());
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

  /** A warning when the replica that answered does not follow etcd (its answer may be stale). */
  static Optional<String> staleWarning(HealthCheckResponse health) {
    if (HealthCommand.followsEtcd(health)) {
      return Optional.empty();
    }
    return Optional.of("coordctl: warning: the replica that answered does not follow etcd right "
        + "now (etcd down or without quorum?): this topology may be stale; --linearizable reads "
        + "through etcd");
  }
}
