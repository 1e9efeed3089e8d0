package io.gitstratum.coordinator.facade.history;

import io.gitstratum.coordinator.facade.history.Violation.Rule;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The sequential model of the topology: etcd's change log replayed from an empty cluster, one
 * change per version, each checked against the topology before it. Answers "what was node X at
 * version v" for any version of the log. Not thread-safe; immutable once built.
 */
public final class TopologyModel {
  /** Per node: the version of each change of it and the record after it (empty: removed). */
  private final Map<String, NavigableMap<Long, Optional<NodeInfo>>> changes = new HashMap<>();
  private final NavigableMap<Long, LoggedEvent> events = new TreeMap<>();
  private long lastVersion;

  private TopologyModel() {}

  /** Replays {@code log}, adding a violation for each gap and each impossible change. */
  public static TopologyModel replay(List<LoggedEvent> log, List<Violation> violations) {
    TopologyModel model = new TopologyModel();
    for (LoggedEvent event : log) {
      model.apply(event, violations);
    }
    return model;
  }

  private void apply(LoggedEvent event, List<Violation> violations) {
    TopologyUpdate u = event.update();
    if (u.getVersion() != lastVersion + 1 || u.getPreviousVersion() != lastVersion) {
      violations.add(new Violation(Rule.LOG_NOT_DENSE, "after v" + lastVersion + " the log holds v"
          + u.getVersion() + " (previous_version " + u.getPreviousVersion() + "): " + brief(u)));
      if (u.getVersion() <= lastVersion) {
        return; // a repeat or a step back changes nothing the model can place
      }
    }
    long v = u.getVersion();
    events.put(v, event);
    lastVersion = v;
    switch (u.getUpdateCase()) {
      case NODE_ADDED -> {
        NodeInfo added = u.getNodeAdded();
        node(added.getId(), v - 1).ifPresent(present -> violations.add(new Violation(
            Rule.ILLEGAL_CHANGE, "v" + v + " adds " + added.getId() + ", present since then as "
                + brief(present))));
        put(added.getId(), v, Optional.of(added));
      }
      case NODE_UPDATED -> {
        NodeInfo updated = u.getNodeUpdated();
        Optional<NodeInfo> before = node(updated.getId(), v - 1);
        if (before.isEmpty()) {
          violations.add(new Violation(Rule.ILLEGAL_CHANGE, "v" + v + " updates "
              + updated.getId() + ", which is not registered"));
        } else if (!before.get().getGenerationId().equals(updated.getGenerationId())
            && updated.getState() != NodeState.NODE_STATE_JOINING) {
          violations.add(new Violation(Rule.ILLEGAL_CHANGE, "v" + v + " replaces "
              + updated.getId() + " by generation " + updated.getGenerationId() + " in state "
              + updated.getState() + ", not JOINING"));
        } else if (before.get().getType() != updated.getType()) {
          violations.add(new Violation(Rule.ILLEGAL_CHANGE, "v" + v + " changes the type of "
              + updated.getId()));
        }
        put(updated.getId(), v, Optional.of(updated));
      }
      case NODE_REMOVED -> {
        if (node(u.getNodeRemoved(), v - 1).isEmpty()) {
          violations.add(new Violation(Rule.ILLEGAL_CHANGE, "v" + v + " removes "
              + u.getNodeRemoved() + ", which is not registered"));
        }
        put(u.getNodeRemoved(), v, Optional.empty());
      }
      default -> { } // a ring change: no node moves
    }
  }

  private void put(String id, long version, Optional<NodeInfo> record) {
    changes.computeIfAbsent(id, k -> new TreeMap<>()).put(version, record);
  }

  /** The last version of the log (0 for an empty log). */
  public long lastVersion() {
    return lastVersion;
  }

  /** The logged change at {@code version}, if the log holds it. */
  public Optional<LoggedEvent> event(long version) {
    return Optional.ofNullable(events.get(version));
  }

  /** Node {@code id} as it was at {@code version}: after the change of that version. */
  public Optional<NodeInfo> node(String id, long version) {
    NavigableMap<Long, Optional<NodeInfo>> history = changes.get(id);
    if (history == null) {
      return Optional.empty();
    }
    Map.Entry<Long, Optional<NodeInfo>> last = history.floorEntry(version);
    return last == null ? Optional.empty() : last.getValue();
  }

  /** Every node at {@code version}, by id. */
  public Map<String, NodeInfo> topologyAt(long version) {
    Map<String, NodeInfo> nodes = new TreeMap<>();
    for (String id : changes.keySet()) {
      node(id, version).ifPresent(n -> nodes.put(id, n));
    }
    return nodes;
  }

  /**
   * Whether node {@code id} satisfies {@code condition} at some version in
   * [{@code from}, {@code to}]: at {@code from} itself or after one of its changes up to
   * {@code to}.
   */
  public boolean someVersionBetween(String id, long from, long to,
      Predicate<Optional<NodeInfo>> condition) {
    if (from > to) {
      return false;
    }
    if (condition.test(node(id, from))) {
      return true;
    }
    NavigableMap<Long, Optional<NodeInfo>> history = changes.get(id);
    return history != null && history.subMap(from, false, to, true).values().stream()
        .anyMatch(condition);
  }

  static String brief(TopologyUpdate u) {
    return switch (u.getUpdateCase()) {
      case NODE_ADDED -> "v" + u.getVersion() + " added " + brief(u.getNodeAdded());
      case NODE_UPDATED -> "v" + u.getVersion() + " updated " + brief(u.getNodeUpdated());
      case NODE_REMOVED -> "v" + u.getVersion() + " removed " + u.getNodeRemoved();
      default -> "v" + u.getVersion() + " " + u.getUpdateCase();
    };
  }

  static String brief(NodeInfo n) {
    return n.getId() + "/" + n.getGenerationId() + "@" + n.getAddress() + ":" + n.getPort() + " "
        + n.getState().name().replace("NODE_STATE_", "");
  }
}
