package io.gitstratum.coordinator.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.admin.DetectorEvent;
import io.gitstratum.coordinator.admin.DetectorState;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.ProtectedZone;
import java.math.BigDecimal;
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

  /**
   * A unix-ms time as ISO-8601 (seconds) and its age: {@code 2025-01-02T10:00:00Z (5s ago)}, or
   * for a time to come {@code (in 5s)}.
   */
  static String time(long unixMs, Clock clock) {
    if (unixMs <= 0) {
      return "-";
    }
    Instant at = Instant.ofEpochMilli(unixMs);
    Duration ago = Duration.between(at, clock.instant());
    return instant(unixMs) + " (" + (ago.isNegative() ? "in " + span(ago.negated())
        : span(ago) + " ago") + ")";
  }

  /** A unix-ms time as ISO-8601 to the second, {@code 2025-01-02T10:00:00Z}; 0: {@code -}. */
  static String instant(long unixMs) {
    return unixMs <= 0 ? "-" : Instant.ofEpochMilli(unixMs).truncatedTo(ChronoUnit.SECONDS)
        .toString();
  }

  private static String span(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + "s";
    } else if (s < 7200) {
      return (s / 60) + "m";
    } else if (s < 172800) {
      return (s / 3600) + "h";
    }
    return (s / 86400) + "d";
  }

  /** One line describing a node: id, type, state, address, labels. */
  static String node(NodeInfo node) {
    return node.getId() + " " + type(node.getType()) + " " + state(node.getState()) + " "
        + address(node) + " " + labels(node.getLabelsMap());
  }

  /**
   * The zones where most live nodes are SUSPECT (SUSPECT→DOWN slowed there): a count line, then
   * one table row per zone.
   */
  static String zones(List<ProtectedZone> protectedZones, Clock clock) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "protected zones:   %s%n",
        protectedZones.isEmpty() ? "none" : String.valueOf(protectedZones.size())));
    if (!protectedZones.isEmpty()) {
      Table zones = new Table("ZONE", "LIVE", "SUSPECT", "SINCE");
      for (ProtectedZone zone : protectedZones) {
        zones.row(zone.getZone().isEmpty() ? "(no label)" : zone.getZone(),
            String.valueOf(zone.getLive()), String.valueOf(zone.getSuspect()),
            time(zone.getSince(), clock));
      }
      zones.toString().lines().forEach(line -> out.append("  ").append(line).append('\n'));
    }
    return out.toString();
  }

  /**
   * {@code coordctl detector status}: the detector's leader, an operator's pause, the zones that
   * slow SUSPECT→DOWN, a pause for every zone disrupted, and the SUSPECT/DOWN counts.
   */
  static String detector(DetectorState state, Clock clock) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "detector leader:   %s%n",
        state.getLeaderId().isEmpty() ? "none" : state.getLeaderId()));
    if (state.getPaused()) {
      out.append(String.format(Locale.ROOT, "paused:            yes, by %s since %s%n",
          orDash(state.getPausedBy()), time(state.getPausedAt(), clock)));
      out.append(String.format(Locale.ROOT, "pause reason:      %s%n",
          orDash(state.getPauseReason())));
    } else {
      out.append(String.format(Locale.ROOT, "paused:            no%n"));
    }
    out.append(String.format(Locale.ROOT, "down paused until: %s%n",
        state.getDownPausedUntil() > 0
            ? time(state.getDownPausedUntil(), clock) + ", every zone disrupted" : "no"));
    out.append(zones(state.getProtectedZonesList(), clock));
    out.append(String.format(Locale.ROOT, "nodes:             %d suspect, %d down%n",
        state.getSuspectNodes(), state.getDownNodes()));
    out.append(String.format(Locale.ROOT, "topology version:  %d%n", state.getTopologyVersion()));
    return out.toString();
  }

  /**
   * {@code coordctl history}: one line per change, oldest first, in columns (version, time,
   * node, kind, state after it and before it, reason, actor), e.g.
   * {@code v42  2026-11-30T11:02:03Z  obj-1  updated  SUSPECT (was ACTIVE)  lease expired
   * detector:replica-0};
   * {@code -} where a change has no value. First a note when changes after {@code sinceVersion}
   * (0: from the oldest retained, no note) were already trimmed.
   */
  static String history(GetHistoryResponse history, long sinceVersion) {
    StringBuilder out = new StringBuilder();
    if (sinceVersion > 0 && history.getOldestRetainedVersion() > sinceVersion + 1) {
      out.append("(oldest retained version ").append(history.getOldestRetainedVersion())
          .append(history.getOldestRetainedAt() > 0
              ? ", " + instant(history.getOldestRetainedAt()) : "")
          .append(")\n");
    }
    if (history.getChangesCount() == 0 && history.getDetectorEventsCount() == 0) {
      return out.append("(no changes)\n").toString();
    }
    Table lines = null; // without a header: the first change sets the columns
    int event = 0;
    for (Change change : history.getChangesList()) {
      // The detector's events (no versions) go before the first change written after them.
      for (; event < history.getDetectorEventsCount() && change.getAt() > 0
          && history.getDetectorEvents(event).getAt() < change.getAt(); event++) {
        lines = row(lines, detectorEvent(history.getDetectorEvents(event)));
      }
      lines = row(lines, "v" + change.getVersion(), instant(change.getAt()),
          orDash(change.getNodeId()), change.getKind(),
          change.getState() == NodeState.NODE_STATE_UNKNOWN
              ? orDash(was(change.getPreviousState()).strip())
              : state(change.getState()) + was(change.getPreviousState()),
          orDash(change.getReason()), orDash(change.getActor()));
    }
    for (; event < history.getDetectorEventsCount(); event++) {
      lines = row(lines, detectorEvent(history.getDetectorEvents(event)));
    }
    return out.append(lines).toString();
  }

  /** A detector event in a history's columns: no version, the zone where a node would be. */
  private static String[] detectorEvent(DetectorEvent event) {
    return new String[] {"-", instant(event.getAt()), orDash(event.getZone()), event.getKind(),
        "-", orDash(event.getReason()), orDash(event.getActor())};
  }

  private static Table row(Table lines, String... cells) {
    return lines == null ? new Table(cells) : lines.row(cells);
  }

  /** {@code " (was ACTIVE)"}: a node's state before a change; empty when unknown. */
  static String was(NodeState previous) {
    return previous == NodeState.NODE_STATE_UNKNOWN ? "" : " (was " + state(previous) + ")";
  }

  private static String orDash(String value) {
    return value.isEmpty() ? "-" : value;
  }

  /** {@code 1 node}, {@code 2 nodes}. */
  static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** A duration as a flag takes it: {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms % 60_000 == 0 && ms >= 120_000) {
      return ms / 60_000 + "m";
    } else if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    } else if (ms < 1000) {
      return ms + "ms";
    }
    return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
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
