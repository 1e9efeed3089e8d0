package io.gitstratum.coordinator.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** How coordctl prints things: short names, tables, times, JSON. Stateless. */
final class Formats {
  private static final JsonFormat.Printer JSON = JsonFormat.printer()
      .preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence().sortingMapKeys();
  private static final JsonFormat.Printer JSON_LINE = JSON.omittingInsignificantWhitespace();

  private Formats() {}

  /** {@code NODE_STATE_ACTIVE} → {@code ACTIVE}. */
  static String state(NodeState state) {
    return state.name().replace("NODE_STATE_", "");
  }

  /** {@code NODE_TYPE_OBJECT} → {@code OBJECT}. */
  static String type(NodeType type) {
    return type.name().replace("NODE_TYPE_", "");
  }

  /**
   * The other way round, as a flag gives it: {@code object}, {@code OBJECT} or
   * {@code NODE_TYPE_OBJECT} → {@code NODE_TYPE_OBJECT} (for {@code prefix} {@code NODE_TYPE_}).
   */
  static String enumName(String given, String prefix) {
    String name = given.trim().toUpperCase(Locale.ROOT);
    return name.startsWith(prefix) ? name : prefix + name;
  }

  static String address(NodeInfo node) {
    String host = node.getAddress().indexOf(':') >= 0 ? "[" + node.getAddress() + "]"
        : node.getAddress();
    return host + ":" + node.getPort();
  }

  /** {@code k=v,k2=v2} sorted by key, or {@code -}. */
  static String labels(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return "-";
    }
    return new TreeMap<>(labels).entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
  }

  /** A unix-ms time as ISO-8601 (seconds) and its age: {@code 2025-01-02T10:00:00Z (5s ago)}. */
  static String time(long unixMs, Clock clock) {
    if (unixMs <= 0) {
      return "-";
    }
    Instant at = Instant.ofEpochMilli(unixMs);
    return at.truncatedTo(ChronoUnit.SECONDS) + " (" + age(Duration.between(at, clock.instant()))
        + ")";
  }

  private static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + "s ago";
    } else if (s < 7200) {
      return (s / 60) + "m ago";
    } else if (s < 172800) {
      return (s / 3600) + "h ago";
    }
    return (s / 86400) + "d ago";
  }

  /** One line describing a node: id, type, state, address, labels. */
  static String node(NodeInfo node) {
    return node.getId() + " " + type(node.getType()) + " " + state(node.getState()) + " "
        + address(node) + " " + labels(node.getLabelsMap());
  }

  static String percent(double share) {
    return String.format(Locale.ROOT, "%.2f%%", share * 100);
  }

  static String json(MessageOrBuilder message) {
    return print(JSON, message);
  }

  static String jsonLine(MessageOrBuilder message) {
    return print(JSON_LINE, message);
  }

  private static String print(JsonFormat.Printer printer, MessageOrBuilder message) {
    try {
      return printer.print(message);
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields with unknown types fail, and the contract has none.
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }

  /** A plain text table: columns padded to their widest cell, two spaces apart. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      rows.add(header);
    }

    Table row(String... cells) {
      rows.add(cells);
      return this;
    }

    @Override
    public String toString() {
      int columns = rows.get(0).length;
      int[] widths = new int[columns];
      for (String[] row : rows) {
        for (int c = 0; c < columns; c++) {
          widths[c] = Math.max(widths[c], row[c].length());
        }
      }
      StringBuilder out = new StringBuilder();
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < columns; c++) {
          line.append(row[c]);
          if (c < columns - 1) {
            line.append(" ".repeat(widths[c] - row[c].length() + 2));
          }
        }
        out.append(line.toString().stripTrailing()).append('\n');
      }
      return out.toString();
    }
  }
}
