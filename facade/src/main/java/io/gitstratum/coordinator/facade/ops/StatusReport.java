package io.gitstratum.coordinator.facade.ops;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.detect.ZoneProtection;
import io.gitstratum.coordinator.facade.leader.Leadership;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The status page's data for one query (pure formatting): who leads, etcd as this replica sees
 * it, the replicas, zone protection and an operator's pause, counts per type, state and zone,
 * the problem nodes first (SUSPECT, DOWN, DRAINING), the last changes, and one page of the nodes
 * the query matches with their share of the ring; for the nodes shown, when they last
 * heartbeated. Its size does not grow with the cluster: at 30,000 nodes it is tens of kilobytes,
 * where the whole topology was 9.4 MB.
 */
public final class StatusReport {
  /** Problem nodes listed at most; the counts say how many there are in all. */
  static final int MAX_PROBLEMS = 50;

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final List<NodeState> PROBLEMS = List.of(NodeState.NODE_STATE_SUSPECT,
      NodeState.NODE_STATE_DOWN, NodeState.NODE_STATE_DRAINING);

  /**
   * What the replica knows when a page asks.
   *
   * @param lastHeartbeats for the nodes a page shows, when each last heartbeated (unix ms; 0: no
   *     live lease; absent: not known yet), as {@link StatusReads#lastHeartbeats} answers
   * @param nowMs the replica's clock, so a page shows ages without trusting the browser's clock
   */
  public record Snapshot(Topology topology, ConsistentHashRing ring,
      Optional<Leadership.LeaderInfo> leader, String replicaId, int subscribers,
      ZoneProtection.State protection, Optional<DetectorPauseRecord> pause,
      StatusReads.History history, List<FacadeRecord> replicas, boolean synced, long revision,
      long raftTerm, EtcdMemberHealth.Members etcdMembers, String zoneLabel, Function<List<String>, Map<String, Long>> lastHeartbeats,
      long nowMs) {}

  private StatusReport() {}

  /** The page's first view, rendered by the replica (StatusPage). */
  public static String firstView(Snapshot s) {
    return StatusPage.firstView(s);
  }

  public static String json(Snapshot s, StatusQuery query) {
    Topology topology = s.topology();
    StringBuilder out = new StringBuilder(16_384);
    out.append("{\"replica\":").append(quote(s.replicaId()))
        .append(",\"leader\":").append(quote(s.leader().map(Leadership.LeaderInfo::replicaId)
            .orElse("")))
        .append(",\"leaderAddress\":").append(quote(s.leader().map(Leadership.LeaderInfo::address)
            .orElse("")))
        .append(",\"synced\":").append(s.synced())
        .append(",\"version\":").append(topology.version());
    StatusVerdict verdict = StatusVerdict.of(s);
    StatusVerdict.Placement placement = StatusVerdict.Placement.of(s.ring());
    out.append(",\"verdict\":{\"level\":").append(quote(verdict.level()))
        .append(",\"text\":").append(quote(verdict.text()))
        .append("},\"placement\":{\"members\":").append(placement.members())
        .append(",\"serving\":").append(placement.serving())
        .append(",\"replicationFactor\":").append(placement.replicationFactor())
        .append(",\"placeable\":").append(placement.placeable())
        .append("},\"history\":{\"oldestVersion\":").append(s.history().oldestVersion())
        .append(",\"oldestAt\":").append(s.history().oldestAtMs()).append('}')
        .append(",\"etcd\":{\"revision\":").append(s.revision())
        .append(",\"raftTerm\":").append(s.raftTerm())
        .append(",\"membersCheckedAt\":").append(s.etcdMembers().checkedAtMs())
        .append(",\"members\":[");
    boolean firstMember = true;
    for (EtcdMemberHealth.Member member : s.etcdMembers().members()) {
      out.append(firstMember ? "" : ",").append("{\"name\":").append(quote(member.name()))
          .append(",\"endpoint\":").append(quote(member.endpoint()))
          .append(",\"answers\":").append(member.answers())
          .append(",\"problem\":").append(quote(member.problem())).append('}');
      firstMember = false;
    }
    out.append("]}")
        .append(",\"massExpiryProtection\":").append(s.protection().protecting())
        .append(",\"protection\":");
    protection(out, s.protection());
    out.append(",\"paused\":").append(s.pause().map(StatusReport::print).orElse("null"))
        .append(",\"watchSubscribers\":").append(s.subscribers())
        .append(",\"replicas\":");
    list(out, s.replicas());
    out.append(",\"recentChanges\":");
    list(out, s.history().notable());
    // One pass over the nodes: counts by type, state and zone, the problems, the matches.
    Map<String, Map<String, Integer>> byType = new TreeMap<>();
    Map<String, Map<String, Integer>> byZone = new TreeMap<>();
    List<NodeInfo> problems = new ArrayList<>();
    List<NodeInfo> matching = new ArrayList<>();
    for (NodeInfo node : topology.nodes()) { // sorted by id
      String state = node.getState().name().replace("NODE_STATE_", "");
      byType.computeIfAbsent(node.getType().name().replace("NODE_TYPE_", ""),
          t -> new TreeMap<>()).merge(state, 1, Integer::sum);
      byZone.computeIfAbsent(node.getLabelsOrDefault(s.zoneLabel(), ""), z -> new TreeMap<>())
          .merge(state, 1, Integer::sum);
      if (PROBLEMS.contains(node.getState())) {
        problems.add(node);
      }
      if (query.matches(node)) {
        matching.add(node);
      }
    }
    out.append(",\"total\":").append(topology.size()).append(",\"byType\":");
    nested(out, byType);
    out.append(",\"byZone\":");
    nested(out, byZone);
    // Newest first: by when the node entered its state (its last change, when that is among the
    // changes read and led to the state it has), then SUSPECT before DOWN before DRAINING.
    Map<String, Change> lastOf = s.history().lastOf();
    problems.sort(newestFirst(lastOf));
    List<NodeInfo> shownProblems = problems.subList(0, Math.min(MAX_PROBLEMS, problems.size()));
    out.append(",\"problems\":");
    list(out, shownProblems);
    out.append(",\"problemSince\":{");
    boolean firstSince = true;
    for (NodeInfo node : shownProblems) {
      Optional<Change> change = since(node, lastOf);
      if (change.isPresent()) {
        out.append(firstSince ? "" : ",").append(quote(node.getId()))
            .append(":{\"at\":").append(change.get().getAt())
            .append(",\"reason\":").append(quote(change.get().getReason()))
            .append(",\"actor\":").append(quote(change.get().getActor())).append('}');
        firstSince = false;
      }
    }
    out.append('}');
    int from = Math.min(matching.size(), query.page() * query.size());
    List<NodeInfo> page = matching.subList(from, Math.min(matching.size(), from + query.size()));
    List<String> shown = new ArrayList<>();
    shownProblems.forEach(n -> shown.add(n.getId()));
    page.forEach(n -> shown.add(n.getId()));
    out.append(",\"now\":").append(s.nowMs()).append(",\"lastHeartbeat\":");
    numbers(out, new TreeMap<>(s.lastHeartbeats().apply(shown)));
    out.append(",\"nodes\":{\"total\":").append(matching.size())
        .append(",\"page\":").append(query.page()).append(",\"size\":").append(query.size())
        .append(",\"items\":");
    list(out, page);
    out.append("},\"ringShares\":");
    Map<String, Double> shares = s.ring().ownershipShares();
    Map<String, Double> pageShares = new LinkedHashMap<>();
    for (NodeInfo node : page) {
      Double share = shares.get(node.getId());
      if (share != null) {
        pageShares.put(node.getId(), share);
      }
    }
    numbers(out, pageShares);
    return out.append('}').toString();
  }

  /** The SUSPECT, DOWN and DRAINING nodes, newest first as the JSON lists them. */
  static List<NodeInfo> problems(Snapshot s) {
    List<NodeInfo> problems = new ArrayList<>();
    for (NodeInfo node : s.topology().nodes()) {
      if (PROBLEMS.contains(node.getState())) {
        problems.add(node);
      }
    }
    problems.sort(newestFirst(s.history().lastOf()));
    return problems;
  }

  private static Comparator<NodeInfo> newestFirst(Map<String, Change> lastOf) {
    return Comparator.comparingLong((NodeInfo n) -> -since(n, lastOf).map(Change::getAt)
            .orElse(0L))
        .thenComparingInt(n -> PROBLEMS.indexOf(n.getState()));
  }

  /** The change that put {@code node} in its state, when it is among those read. */
  private static Optional<Change> since(NodeInfo node, Map<String, Change> lastOf) {
    return Optional.ofNullable(lastOf.get(node.getId()))
        .filter(c -> c.getState() == node.getState() && c.getAt() > 0);
  }

  /** A JSON object of numbers, in the map's order. */
  private static void numbers(StringBuilder out, Map<String, ? extends Number> values) {
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, ? extends Number> value : values.entrySet()) {
      out.append(first ? "" : ",").append(quote(value.getKey())).append(':')
          .append(value.getValue());
      first = false;
    }
    out.append('}');
  }

  private static void nested(StringBuilder out, Map<String, Map<String, Integer>> counts) {
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, Map<String, Integer>> outer : counts.entrySet()) {
      out.append(first ? "" : ",").append(quote(outer.getKey())).append(':');
      numbers(out, outer.getValue());
      first = false;
    }
    out.append('}');
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

  private static void list(StringBuilder out, List<? extends MessageOrBuilder> messages) {
    out.append('[');
    for (int i = 0; i < messages.size(); i++) {
      out.append(i == 0 ? "" : ",").append(print(messages.get(i)));
    }
    out.append(']');
  }

  private static String print(MessageOrBuilder message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
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
