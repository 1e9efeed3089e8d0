package io.gitstratum.coordinator.facade.metrics;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Node counts by zone, type and state for the {@code zone_nodes} gauge. A label value per zone
 * would let a cluster with a label typo per node make one series per node, so only the
 * {@link #MAX_ZONES} largest zones keep their name and the rest are summed under
 * {@value #OTHER}. Pure.
 */
final class ZoneCounts {
  static final int MAX_ZONES = 32;
  static final String UNLABELLED = "_unlabelled";
  static final String OTHER = "_other";

  private ZoneCounts() {}

  /** One count of a (zone, type, state) that has nodes. */
  record Count(String zone, NodeType type, NodeState state, int nodes) {}

  private record Key(String zone, NodeType type, NodeState state) {}

  static List<Count> of(Collection<NodeInfo> nodes, String zoneLabel) {
    Map<String, Integer> perZone = new HashMap<>();
    for (NodeInfo node : nodes) {
      perZone.merge(zone(node, zoneLabel), 1, Integer::sum);
    }
    Set<String> named = perZone.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
            .thenComparing(Map.Entry.comparingByKey()))
        .limit(MAX_ZONES).map(Map.Entry::getKey).collect(Collectors.toSet());
    Map<Key, Integer> counts = new TreeMap<>(Comparator.comparing(Key::zone)
        .thenComparing(Key::type).thenComparing(Key::state));
    for (NodeInfo node : nodes) {
      String zone = zone(node, zoneLabel);
      counts.merge(new Key(named.contains(zone) ? zone : OTHER, node.getType(), node.getState()),
          1, Integer::sum);
    }
    List<Count> out = new ArrayList<>(counts.size());
    counts.forEach((key, n) -> out.add(new Count(key.zone(), key.type(), key.state(), n)));
    return out;
  }

  private static String zone(NodeInfo node, String zoneLabel) {
    String zone = node.getLabelsOrDefault(zoneLabel, "");
    return zone.isEmpty() ? UNLABELLED : zone;
  }
}
