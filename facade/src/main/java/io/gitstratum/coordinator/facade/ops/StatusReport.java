package io.gitstratum.coordinator.facade.ops;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.detect.ZoneProtection;
import io.gitstratum.coordinator.facade.leader.Leadership;
import java.util.List;
import java.util.Map;

/**
 * The status page's data: topology (protobuf JSON, as GetTopology returns it), leader, watch
 * subscribers, zone protection, the last changes with why and who, and each object node's share
 * of the ring. Pure formatting.
 */
public final class StatusReport {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private StatusReport() {}

  public static String json(Topology topology, ConsistentHashRing ring,
      java.util.Optional<Leadership.LeaderInfo> leader, String replicaId, int subscribers,
      ZoneProtection.State protection, List<Change> recentChanges,
      boolean synced) {
    StringBuilder out = new StringBuilder(256 + topology.size() * 200);
    out.append("{\"replica\":").append(quote(replicaId))
        .append(",\"leader\":").append(quote(leader.map(Leadership.LeaderInfo::replicaId)
            .orElse("")))
        .append(",\"leaderAddress\":").append(quote(leader.map(Leadership.LeaderInfo::address)
            .orElse("")))
        .append(",\"synced\":").append(synced)
        .append(",\"massExpiryProtection\":").append(protection.protecting())
        .append(",\"protection\":");
    protection(out, protection);
    out
        .append(",\"watchSubscribers\":").append(subscribers)
        .append(",\"ringShares\":{");
    boolean first = true;
    for (Map.Entry<String, Double> share : ring.ownershipShares().entrySet()) {
      out.append(first ? "" : ",").append(quote(share.getKey())).append(':')
          .append(share.getValue());
      first = false;
    }
    out.append("},\"recentChanges\":[");
    for (int i = 0; i < recentChanges.size(); i++) {
      out.append(i == 0 ? "" : ",").append(print(recentChanges.get(i)));
    }
    out.append("],\"topology\":");
    out.append(print(topology.toResponse()));
    return out.append('}').toString();
  }

  private static String print(MessageOrBuilder message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }

  /** Disrupted zones with since when (unix ms), and until when DOWN pauses (0: not paused). */
  private static void protection(StringBuilder out, ZoneProtection.State protection) {
    out.append("{\"pausedUntil\":").append(protection.pausedUntilMs()).append(",\"zones\":[");
    boolean first = true;
    for (ZoneProtection.Zone zone : protection.zones()) {
      out.append(first ? "" : ",").append("{\"zone\":").append(quote(zone.name()))
          .append(",\"live\":").append(zone.live())
          .append(",\"suspect\":").append(zone.suspect())
          .append(",\"since\":").append(zone.sinceMs()).append('}');
      first = false;
    }
    out.append("]}");
  }

  static String quote(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
