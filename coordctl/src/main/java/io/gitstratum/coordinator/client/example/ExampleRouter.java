package io.gitstratum.coordinator.client.example;

import io.gitstratum.coordinator.client.cli.LogSetup;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.failover.EndpointResolver;
import io.gitstratum.coordinator.client.ring.InsufficientNodesException;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyListener;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A frontend router in miniature: a {@link TopologyWatcher} keeps the ring in memory, and every
 * topology change reprints where a few keys live (read and write replicas), as a router would
 * route requests for them. Runs until Ctrl-C.
 *
 * <pre>
 * java -cp coordctl/target/coordctl.jar io.gitstratum.coordinator.client.example.ExampleRouter \
 *     --key repo/alpha --key repo/beta --spread-label zone
 * </pre>
 */
@Command(name = "ExampleRouter", mixinStandardHelpOptions = true,
    description = "Print where keys are placed, again at every topology change.")
public final class ExampleRouter implements Callable<Integer> {
  @Option(names = "--endpoints", defaultValue = "${env:COORDCTL_ENDPOINTS:-localhost:9000}",
      description = "Facade endpoints (default: $COORDCTL_ENDPOINTS, else localhost:9000).")
  String endpoints;

  @Option(names = "--key", paramLabel = "KEY", description = "A key to place (repeatable; "
      + "default: repo/alpha, repo/beta, repo/gamma).")
  List<String> keys = List.of("repo/alpha", "repo/beta", "repo/gamma");

  @Option(names = "--spread-label", paramLabel = "LABEL",
      description = "Spread replicas over distinct values of this label, e.g. zone.")
  String spreadLabel;

  public static void main(String[] args) {
    LogSetup.configure("INFO");
    System.exit(new CommandLine(new ExampleRouter()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    CountDownLatch forever = new CountDownLatch(1);
    try (CoordinatorClient client = CoordinatorClient.builder(
            EndpointResolver.splitSpecs(endpoints)).build();
        TopologyWatcher watcher = TopologyWatcher.builder(client).build()) {
      watcher.addListener(new Printer(watcher));
      watcher.start();
      forever.await(); // until Ctrl-C; the JVM's exit ends the watcher's daemon threads
    }
    return 0;
  }

  /** Reprints the placements after each change (listeners run in version order). */
  private final class Printer implements TopologyListener {
    private final TopologyWatcher watcher;

    Printer(TopologyWatcher watcher) {
      this.watcher = watcher;
    }

    @Override
    public void resynced(Topology previous, Topology current) {
      print(current, "loaded " + current.size() + (current.size() == 1 ? " node" : " nodes"));
    }

    @Override
    public void nodeAdded(NodeInfo node, Topology topology) {
      print(topology, node.getId() + " added (" + state(node) + ")");
    }

    @Override
    public void nodeUpdated(NodeInfo previous, NodeInfo current, Topology topology) {
      print(topology, current.getId() + " " + state(previous) + " -> " + state(current));
    }

    @Override
    public void nodeRemoved(NodeInfo removed, Topology topology) {
      print(topology, removed.getId() + " removed");
    }

    private void print(Topology topology, String what) {
      StringBuilder out = new StringBuilder();
      out.append("version ").append(topology.version()).append(": ").append(what)
          .append("; ring has ").append(watcher.ring().memberCount()).append(" members, ")
          .append(watcher.ring().servingCount()).append(" serving\n");
      for (String key : keys) {
        out.append("  ").append(key).append(" -> ").append(place(key))
            .append(", primary ").append(watcher.primaryFor(key).orElse("(none)")).append('\n');
      }
      System.out.print(out);
      System.out.flush();
    }

    private String place(String key) {
      try {
        return String.valueOf(spreadLabel != null ? watcher.replicasFor(key, spreadLabel)
            : watcher.replicasFor(key));
      } catch (InsufficientNodesException e) {
        return "(" + e.available() + " of " + e.required() + " nodes)";
      }
    }
  }

  private static String state(NodeInfo node) {
    return node.getState().name().replace("NODE_STATE_", "");
  }
}
