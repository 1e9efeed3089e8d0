package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.ring.RingPoint;
import io.gitstratum.coordinator.client.ring.RingShares;
import io.gitstratum.coordinator.proto.GetHashRingResponse;
import io.gitstratum.coordinator.proto.HashRingEntry;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code coordctl ring}: the facade's ring (GetHashRing) and each node's share of the keys. */
@Command(name = "ring", mixinStandardHelpOptions = true,
    description = "Show the hash ring: point count and each node's share of "
    + "the key space.", subcommands = RingLookupCommand.class)
final class RingCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Override
  public void run() {
    GetHashRingResponse ring;
    try (CoordinatorClient client = root.connect()) {
      ring = client.getHashRing();
    }
    List<RingPoint> points = ring.getEntriesList().stream()
        .map(e -> new RingPoint(e.getPosition(), e.getNodeId())).toList();
    Map<String, Double> shares = RingShares.of(points);
    Map<String, Integer> counts = new HashMap<>();
    for (HashRingEntry entry : ring.getEntriesList()) {
      counts.merge(entry.getNodeId(), 1, Integer::sum);
    }
    PrintWriter out = root.spec.commandLine().getOut();
    out.printf("ring at topology version %d: %s, %s, replication factor %d%n",
        ring.getVersion(), Formats.count(points.size(), "point"),
        Formats.count(shares.size(), "node"), ring.getReplicationFactor());
    if (shares.isEmpty()) {
      return;
    }
    Formats.Table table = new Formats.Table("NODE", "POINTS", "SHARE");
    shares.forEach((node, share) ->
        table.row(node, String.valueOf(counts.get(node)), Formats.percent(share)));
    out.print(table);
  }
}
