package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl register}: registers a node by hand (JOINING). Nothing heartbeats for it, so
 * the facade marks it SUSPECT then DOWN after its timeouts unless something does.
 */
@Command(name = "register", mixinStandardHelpOptions = true,
    description = "Register a node by hand (it stays JOINING, then "
    + "turns SUSPECT and DOWN, unless something heartbeats for it).")
final class RegisterCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @Option(names = "--id", required = true, description = "Node id.")
  String id;

  @Option(names = "--address", required = true, description = "Host name or IP of the node.")
  String address;

  @Option(names = "--port", required = true, description = "Port of the node (1-65535).")
  int port;

  @Option(names = "--type", required = true, converter = TypeConverter.class,
      description = "frontend, metadata or object.")
  NodeType type;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label, e.g. "
      + "zone=eu-1a (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--generation", description = "Generation id (default: a new UUID).")
  String generation;

  @Override
  public void run() {
    if (port < 1 || port > 65535) {
      throw new CommandLine.ParameterException(root.spec.commandLine(),
          "--port must be 1-65535, got " + port);
    }
    String gen = generation != null ? generation : UUID.randomUUID().toString();
    NodeInfo node = NodeInfo.newBuilder().setId(id).setAddress(address).setPort(port)
        .setType(type).setGenerationId(gen).putAllLabels(labels).build();
    RegisterNodeResponse answer;
    try (CoordinatorClient client = root.connect()) {
      answer = client.registerNode(node);
    }
    PrintWriter out = root.spec.commandLine().getOut();
    out.printf("node %s %s (generation %s); topology version %d%n", id,
        answer.getAlreadyRegistered() ? "was already registered" : "registered", gen,
        answer.getTopologyVersion());
  }

  /** Accepts {@code object}, {@code OBJECT} or {@code NODE_TYPE_OBJECT}. */
  static final class TypeConverter implements CommandLine.ITypeConverter<NodeType> {
    @Override
    public NodeType convert(String value) {
      try {
        NodeType type = NodeType.valueOf(Formats.enumName(value, "NODE_TYPE_"));
        if (type != NodeType.NODE_TYPE_UNKNOWN) {
          return type;
        }
      } catch (IllegalArgumentException e) {
        // falls through to the message below
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a node type: frontend, metadata or object");
    }
  }
}
