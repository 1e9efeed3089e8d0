package io.gitstratum.coordinator.facade.ops;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.leader.Leadership;
import java.util.Map;

/**
 * The status page's data: topology (protobuf JSON, as GetTopology returns it), leader, watch
 * subscribers, mass-expiry state and each object node's share of the ring. Pure formatting.
 */
public final class StatusReport {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private StatusReport() {}

  public static String json(Topology topology, ConsistentHashRing ring,
      java.util.Optional<Leadership.LeaderInfo> leader, String replicaId, int subscribers,
      boolean protecting, boolean synced) {
    StringBuilder out = new StringBuilder(256 + topology.size() * 200);
    out.append("{\"replica\":").append(quote(replicaId))
        .append(",\"leader\":").append(quote(leader.map(Leadership.LeaderInfo::replicaId)
            .orElse("")))
        .append(",\"leaderAddress\":").append(quote(leader.map(Leadership.LeaderInfo::address)
            .orElse("")))
        .append(",\"synced\":").append(synced)
        .append(",\"massExpiryProtection\":").append(protecting)
        .append(",\"watchSubscribers\":").append(subscribers)
        .append(",\"ringShares\":{");
    boolean first = true;
    for (Map.Entry<String, Double> share : ring.ownershipShares().entrySet()) {
      out.append(first ? "" : ",").append(quote(share.getKey())).append(':')
          .append(share.getValue());
      first = false;
    }
    out.append("},\"topology\":");
    try {
      out.append(PRINTER.print(topology.toResponse()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print the topology", e);
    }
    return out.append('}').toString();
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
