package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.failover.Backoff;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.failover.WatchCall;
import io.gitstratum.coordinator.client.failover.WatchObserver;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl watch}: one line per topology update until interrupted. A stream that breaks
 * is resumed from the last version printed (on another endpoint when there is one), so nothing
 * is skipped or printed twice; only a first connection that fails ends the command (exit 3).
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Print one line per topology update (Ctrl-C to stop).")
final class WatchCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Option(names = "--since", defaultValue = "0", paramLabel = "VERSION",
      description = "Start after this version; 0 (default) starts with the full topology. "
      + "Replayed changes show the state before them (was X) from the admin service's "
      + "history (with mutual TLS, an operator certificate).")
  long since;

  @Option(names = {"-o", "--output"}, defaultValue = "text",
      description = "text or json (one TopologyUpdate per line; default: text).")
  Output output;

  @Option(names = "--keepalives", description = "Print keepalives too.")
  boolean keepalives;

  @Option(names = "--max-updates", defaultValue = "0", paramLabel = "N",
      description = "Exit after printing N updates (default 0: never).")
  long maxUpdates;

  enum Output { text, json }

  /** A message, or the end of one stream (no update, maybe an error), in arrival order. */
  private record Event(TopologyUpdate update, CoordinatorClientException error) {}

  private final Map<String, NodeInfo> nodes = new HashMap<>();
  /** For a replay (--since): earlier states the local copy cannot know. */
  private ReplayHistory history;

  @Override
  public void run() {
    if (since < 0 || maxUpdates < 0) {
      throw new picocli.CommandLine.ParameterException(root.spec.commandLine(),
          "--since and --max-updates must be >= 0");
    }
    PrintWriter out = root.spec.commandLine().getOut();
    PrintWriter err = root.spec.commandLine().getErr();
    Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), new Random());
    long version = since;
    long printed = 0;
    int failuresBeforeConnected = 0;
    boolean connectedOnce = false;
    try (CoordinatorClient client = root.connect()) {
      if (since > 0) {
        history = new ReplayHistory(client, err, since);
      }
      while (true) {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        CoordinatorClientException failure = null;
        String endpoint = client.currentEndpoint().orElse("?");
        WatchCall call = null;
        try {
          call = client.watchTopology(version, queueing(events));
          endpoint = call.endpoint();
          while (true) {
            Event event = events.take();
            if (event.update() == null) {
              failure = event.error();
              break;
            }
            connectedOnce = true;
            backoff.reset();
            TopologyUpdate u = event.update();
            if (!u.hasKeepalive() || keepalives) {
              out.println(output == Output.json ? Formats.jsonLine(u) : describe(u));
              out.flush();
              printed++;
            }
            if (!u.hasKeepalive() && !u.hasLagged()) {
              version = u.getVersion();
            }
            if (maxUpdates > 0 && printed >= maxUpdates) {
              return;
            }
          }
        } catch (CoordinatorClientException e) {
          failure = e; // no endpoint could be tried
        } finally {
          if (call != null) {
            call.cancel();
          }
        }
        // Before anything arrived, give up after as many failures as a call would (exit 3).
        if (!connectedOnce && failure != null && ++failuresBeforeConnected >= 4) {
          throw failure;
        }
        if (connectedOnce) {
          err.printf("# stream from %s %s; resuming after version %d%n", endpoint,
              failure != null ? "broke: " + failure.getMessage() : "ended", version);
          err.flush();
        }
        TimeUnit.NANOSECONDS.sleep(backoff.next().toNanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static WatchObserver queueing(BlockingQueue<Event> events) {
    return new WatchObserver() {
      @Override
      public void onNext(TopologyUpdate update) {
        events.add(new Event(update, null));
      }

      @Override
      public void onError(CoordinatorClientException error) {
        events.add(new Event(null, error));
      }

      @Override
      public void onCompleted() {
        events.add(new Event(null, null));
      }
    };
  }

  /** A node's state before update {@code u}: the local copy's, else the history's, else UNKNOWN. */
  private NodeState previous(TopologyUpdate u, NodeInfo before) {
    return before != null ? before.getState()
        : history != null ? history.previousState(u.getVersion()) : NodeState.NODE_STATE_UNKNOWN;
  }

  /** One line; node updates show the state change the local copy of the topology implies. */
  private String describe(TopologyUpdate u) {
    String v = "v" + u.getVersion() + " ";
    switch (u.getUpdateCase()) {
      case FULL_SYNC -> {
        GetTopologyResponse full = u.getFullSync();
        Topology topology = Topology.fromResponse(full);
        nodes.clear();
        topology.nodes().forEach(n -> nodes.put(n.getId(), n));
        return v + "full_sync " + Formats.count(topology.size(), "node") + " (" + full.getFrontendNodesCount()
            + " frontend, " + full.getMetadataNodesCount() + " metadata, "
            + full.getObjectNodesCount() + " object)";
      }
      case NODE_ADDED -> {
        nodes.put(u.getNodeAdded().getId(), u.getNodeAdded());
        return v + "added " + Formats.node(u.getNodeAdded());
      }
      case NODE_UPDATED -> {
        NodeState after = u.getNodeUpdated().getState();
        NodeState before = previous(u, nodes.put(u.getNodeUpdated().getId(), u.getNodeUpdated()));
        return v + "updated " + Formats.node(u.getNodeUpdated())
            + (before == after ? "" : Formats.was(before));
      }
      case NODE_REMOVED -> {
        return v + "removed " + u.getNodeRemoved()
            + Formats.was(previous(u, nodes.remove(u.getNodeRemoved())));
      }
      case HASH_RING_CONFIG_UPDATED -> {
        return v + "ring_config virtual_nodes_per_physical="
            + u.getHashRingConfigUpdated().getVirtualNodesPerPhysical() + " replication_factor="
            + u.getHashRingConfigUpdated().getReplicationFactor();
      }
      case LAGGED -> {
        return v + "lagged: missed " + u.getLagged().getMissedUpdates()
            + " updates; a full_sync follows";
      }
      case KEEPALIVE -> {
        return v + "keepalive";
      }
      default -> {
        return v + "unknown update";
      }
    }
  }
}
