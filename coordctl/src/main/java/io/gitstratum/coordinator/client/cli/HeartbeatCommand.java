package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeState;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl heartbeat}: heartbeats for a node registered by hand, once or at an interval
 * until Ctrl-C, so that a node can be kept ACTIVE with the project's own tools.
 */
@Command(name = "heartbeat", mixinStandardHelpOptions = true,
    description = "Heartbeat for a node registered by hand: once, or every --every until "
    + "Ctrl-C (or --count heartbeats; one that finds no replica or etcd is retried at the next "
    + "interval). The first one turns a JOINING node ACTIVE.")
final class HeartbeatCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Parameters(paramLabel = "NODE", description = "Node id.")
  String id;

  @Option(names = "--generation", required = true,
      description = "The generation the node registered with (coordctl register prints it).")
  String generation;

  @Option(names = "--state", defaultValue = "active", converter = StateConverter.class,
      description = "State the node reports: active, joining or draining (default active).")
  NodeState state;

  @Option(names = "--every", converter = CoordCtl.DurationConverter.class,
      description = "Heartbeat again at this interval, e.g. 10s (default: once).")
  Duration every;

  @Option(names = "--count", defaultValue = "0",
      description = "With --every: stop after this many heartbeats (default: until Ctrl-C).")
  int count;

  @Override
  public void run() {
    if (every != null && (every.isZero() || every.isNegative())) {
      throw new CommandLine.ParameterException(root.spec.commandLine(), "--every must be > 0");
    }
    if (count < 0) {
      throw new CommandLine.ParameterException(root.spec.commandLine(), "--count must be >= 0");
    }
    PrintWriter out = root.spec.commandLine().getOut();
    PrintWriter err = root.spec.commandLine().getErr();
    long known = 0;
    try (CoordinatorClient client = root.connect()) {
      for (int sent = 1; ; sent++) {
        boolean last = every == null || (count > 0 && sent >= count);
        HeartbeatResponse answer;
        try {
          answer = client.heartbeat(HeartbeatRequest.newBuilder()
              .setNodeId(id).setGenerationId(generation).setReportedState(state)
              .setKnownVersion(known).build());
        } catch (UnavailableException e) {
          if (last) {
            throw e;
          }
          // A loop keeps going as a node would: etcd without quorum, or no replica answering
          // for a while, is what it must outlast. Other errors (unknown node, another
          // generation) end it.
          err.println("coordctl: heartbeat " + id + " failed, trying again in "
              + Formats.duration(every) + ": " + CoordCtl.unavailable(e, String.valueOf(root.endpoints),
                  root.tlsCa != null, root.tlsCert != null));
          err.flush();
          Thread.sleep(every.toMillis());
          continue;
        }
        known = answer.getCurrentVersion();
        out.printf("heartbeat %s: topology version %d; %s%n", id, known,
            next(answer.getHeartbeatIntervalMs(), last));
        out.flush();
        if (last) {
          return;
        }
        Thread.sleep(every.toMillis()); // the interval the operator asked for
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * When the next heartbeat comes, and the interval the facade advises (a node that stays
   * silent past the facade's --suspect-timeout turns SUSPECT).
   */
  private String next(long advisedMs, boolean last) {
    String advised = "the facade advises one every " + Formats.duration(Duration.ofMillis(advisedMs));
    return last ? "no more (" + advised + ")" : "next in " + Formats.duration(every) + " ("
        + advised + ")";
  }

  /** Accepts {@code active}, {@code ACTIVE} or {@code NODE_STATE_ACTIVE}. */
  static final class StateConverter implements CommandLine.ITypeConverter<NodeState> {
    @Override
    public NodeState convert(String value) {
      return switch (Formats.enumName(value, "NODE_STATE_")) {
        case "NODE_STATE_ACTIVE" -> NodeState.NODE_STATE_ACTIVE;
        case "NODE_STATE_JOINING" -> NodeState.NODE_STATE_JOINING;
        case "NODE_STATE_DRAINING" -> NodeState.NODE_STATE_DRAINING;
        default -> throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a state a node reports: active, joining or draining");
      };
    }
  }
}
