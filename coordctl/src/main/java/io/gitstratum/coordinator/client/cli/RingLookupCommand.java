package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.ring.InsufficientNodesException;
import io.gitstratum.coordinator.client.ring.LabelSpread;
import io.gitstratum.coordinator.client.ring.RingHashing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl ring lookup KEY}: the replicas and the primary of a key, placed by the client
 * library on the current topology (gitstratum's placement: the facade's ring, every router's).
 */
@Command(name = "lookup", mixinStandardHelpOptions = true,
    description = "Show the replicas of a key (reads and writes alike) and its primary.")
final class RingLookupCommand implements Runnable {
  @ParentCommand
  RingCommand ring;

  @Parameters(paramLabel = "KEY", description = "The key (hashed as UTF-8 bytes), or with "
      + "--object-id a 64-hex-digit object id.")
  String key;

  @Option(names = "--object-id", description = "KEY is a 32-byte object id in hex, placed at "
      + "its own first 8 bytes.")
  boolean objectId;

  @Option(names = "--spread-label", paramLabel = "LABEL", description = "Spread the replicas "
      + "over distinct values of this node label (e.g. zone); see client/README.md.")
  String spreadLabel;

  @Override
  public void run() {
    CoordCtl root = ring.root;
    long position = position(root);
    Topology topology;
    try (CoordinatorClient client = root.connect()) {
      topology = Topology.fromResponse(client.getTopology(false));
    }
    ConsistentHashRing placement = ConsistentHashRing.fromNodes(topology.nodes(),
        topology.ringConfig());
    List<String> replicas;
    try {
      if (spreadLabel != null) {
        replicas = LabelSpread.of(placement, spreadLabel,
                id -> topology.node(id).map(NodeInfo::getLabelsMap).orElse(Map.of()))
            .replicasForPosition(position);
      } else {
        replicas = placement.replicasForPosition(position);
      }
    } catch (InsufficientNodesException e) {
      throw new CoordCtl.CliException(e.getMessage() + " (topology version "
          + topology.version() + ")");
    }
    PrintWriter out = root.spec.commandLine().getOut();
    out.printf("%s %s at position %s, topology version %d, primary %s, replicas:%n",
        objectId ? "object" : "key", key, Long.toUnsignedString(position), topology.version(),
        placement.primaryForPosition(position).orElseThrow());
    Formats.Table table = new Formats.Table("#", "NODE", "STATE", "ADDRESS", "LABELS");
    for (int i = 0; i < replicas.size(); i++) {
      NodeInfo node = topology.node(replicas.get(i)).orElseThrow();
      table.row(String.valueOf(i + 1), node.getId(), Formats.state(node.getState()),
          Formats.address(node), Formats.labels(node.getLabelsMap()));
    }
    out.print(table);
  }

  private long position(CoordCtl root) {
    if (!objectId) {
      return RingHashing.keyPosition(key.getBytes(StandardCharsets.UTF_8));
    }
    try {
      return RingHashing.objectIdPosition(HexFormat.of().parseHex(key));
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(root.spec.commandLine(),
          "--object-id needs 64 hex digits, got '" + key + "'");
    }
  }
}
