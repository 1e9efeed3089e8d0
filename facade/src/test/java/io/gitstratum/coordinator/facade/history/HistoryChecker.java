package io.gitstratum.coordinator.facade.history;

import io.gitstratum.coordinator.facade.history.Operation.Failed;
import io.gitstratum.coordinator.facade.history.Operation.Kind;
import io.gitstratum.coordinator.facade.history.Operation.Ok;
import io.gitstratum.coordinator.facade.history.Operation.Unknown;
import io.gitstratum.coordinator.facade.history.Violation.Rule;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks a recorded {@link History} against the sequential model of the topology, in the manner
 * of Knossos or Porcupine but written for this model: etcd's log fixes the order of the changes
 * (one per version), so instead of searching for a linearization the checker places every answer
 * at the version it names and checks it there.
 *
 * <ul>
 *   <li>The log is dense and every change in it is possible on the topology before it.
 *   <li>Every logged change was asked for: by a call sent before the change reached the log's
 *       watch, whose answer names that version or is unknown (UNAVAILABLE, a deadline), and
 *       each call made at most one change; SUSPECT and DOWN come from the failure detector.
 *   <li>Each acknowledged write is visible at exactly its version: a new registration is the
 *       node_added of that version; an already_registered answer finds the node, with that
 *       generation and address, at that version; a deregistration finds it gone. A heartbeat's
 *       node was registered, with its generation, at or before the version answered.
 *   <li>No two acknowledgements claim to be the change of one version.
 *   <li>Versions only grow in real time: a write answered at version v was sent after nothing
 *       that had already been answered (or logged) at a later version, and a new registration's
 *       version is above all of them.
 *   <li>A refusal (NOT_FOUND, FAILED_PRECONDITION) is justified by some version at or after the
 *       newest one the same replica had answered before the call was sent; other codes are for
 *       requests this history never sends.
 *   <li>Each watch stream is gap-free (guarantee 4) and carries etcd's change of each version
 *       and, in a full_sync, the model's topology at that version.
 *   <li>At the end etcd's node records are the replayed log, and every replica's cache equals etcd.
 * </ul>
 *
 * <p>Answers the caller got as unknown may or may not have happened: they explain a change but
 * never require one. Pure and single-threaded.
 */
public final class HistoryChecker {
  private final History history;
  private final TopologyModel model;
  private final List<Violation> violations;
  private final Map<String, List<Operation>> byNode;

  private HistoryChecker(History history, TopologyModel model, List<Violation> violations) {
    this.history = history;
    this.model = model;
    this.violations = violations;
    this.byNode = history.operations().stream()
        .collect(Collectors.groupingBy(Operation::nodeId));
  }

  /** Every violation the history shows; empty when it fits the model. */
  public static List<Violation> check(History history) {
    List<Violation> violations = new ArrayList<>();
    TopologyModel model = TopologyModel.replay(history.log(), violations);
    HistoryChecker checker = new HistoryChecker(history, model, violations);
    checker.explainChanges();
    checker.checkAnswers();
    checker.checkRealTime();
    checker.checkRefusals();
    history.watches().forEach(checker::checkWatch);
    checker.checkEnd();
    return violations;
  }

  private void violation(Rule rule, String detail) {
    violations.add(new Violation(rule, detail));
  }

  /**
   * Every logged change was asked for, and each call made at most one change (a call is one
   * transition; a copy sent again must not apply twice): the changes are matched to the calls
   * that could have made them, one each (Kuhn's augmenting paths), and a change left without a
   * call is a violation.
   */
  private void explainChanges() {
    List<TopologyUpdate> asked = new ArrayList<>();
    List<List<Integer>> candidates = new ArrayList<>();
    for (LoggedEvent event : history.log()) {
      TopologyUpdate u = event.update();
      if (u.hasHashRingConfigUpdated()) {
        continue; // written by a replica at start, asked for by no client
      }
      String id = nodeId(u);
      Optional<NodeInfo> before = model.node(id, u.getVersion() - 1);
      if (u.hasNodeUpdated() && before.isPresent() && byDetector(before.get(), u.getNodeUpdated())) {
        continue;
      }
      List<Integer> calls = byNode.getOrDefault(id, List.of()).stream()
          .filter(op -> op.invokedNanos() < event.arrivedNanos())
          .filter(op -> couldHaveWritten(op, u, before)).map(Operation::id).toList();
      if (calls.isEmpty()) {
        violation(Rule.UNEXPLAINED_CHANGE, TopologyModel.brief(u) + " (before it: "
            + before.map(TopologyModel::brief).orElse("absent") + "): no call sent before it"
            + " arrived asked for it; calls for " + id + ": " + near(id, event.arrivedNanos()));
        continue;
      }
      asked.add(u);
      candidates.add(calls);
    }
    Map<Integer, Integer> changeOf = new HashMap<>();
    for (int change = 0; change < asked.size(); change++) {
      if (!augment(change, candidates, changeOf, new HashSet<>())) {
        TopologyUpdate u = asked.get(change);
        List<Integer> calls = candidates.get(change);
        violation(Rule.UNEXPLAINED_CHANGE, TopologyModel.brief(u) + ": each call that could have"
            + " made it made another change: " + byNode.get(nodeId(u)).stream()
                .filter(op -> calls.contains(op.id())).limit(8)
                .map(Operation::toString).collect(Collectors.joining("; ", "[", "]")));
      }
    }
  }

  /** Finds a call for {@code change}, moving other changes to other calls if need be. */
  private static boolean augment(int change, List<List<Integer>> candidates,
      Map<Integer, Integer> changeOf, Set<Integer> visited) {
    for (int call : candidates.get(change)) {
      if (visited.add(call)) {
        Integer holder = changeOf.get(call);
        if (holder == null || augment(holder, candidates, changeOf, visited)) {
          changeOf.put(call, change);
          return true;
        }
      }
    }
    return false;
  }

  private static String nodeId(TopologyUpdate u) {
    return u.hasNodeRemoved() ? u.getNodeRemoved()
        : u.hasNodeAdded() ? u.getNodeAdded().getId() : u.getNodeUpdated().getId();
  }

  /** SUSPECT and DOWN are the failure detector's: same process, same address. */
  private static boolean byDetector(NodeInfo before, NodeInfo after) {
    return (after.getState() == NodeState.NODE_STATE_SUSPECT
        || after.getState() == NodeState.NODE_STATE_DOWN) && sameProcess(before, after);
  }

  private static boolean sameProcess(NodeInfo a, NodeInfo b) {
    return a.getGenerationId().equals(b.getGenerationId()) && a.getAddress().equals(b.getAddress())
        && a.getPort() == b.getPort();
  }

  /** Whether {@code op}, with the answer it got, may be the call that wrote {@code u}. */
  private static boolean couldHaveWritten(Operation op, TopologyUpdate u, Optional<NodeInfo> before) {
    boolean answerFits = op.outcome() instanceof Unknown
        || op.outcome() instanceof Ok ok && (op.kind() == Kind.HEARTBEAT
            ? ok.version() >= u.getVersion() : ok.version() == u.getVersion());
    if (!answerFits) {
      return false;
    }
    return switch (u.getUpdateCase()) {
      case NODE_ADDED -> op.kind() == Kind.REGISTER && asks(op, u.getNodeAdded());
      case NODE_UPDATED -> {
        NodeInfo after = u.getNodeUpdated();
        boolean sameProcess = before.isPresent() && sameProcess(before.get(), after);
        yield sameProcess
            ? op.kind() == Kind.HEARTBEAT && op.generation().equals(after.getGenerationId())
            : op.kind() == Kind.REGISTER && asks(op, after);
      }
      case NODE_REMOVED -> op.kind() == Kind.DEREGISTER && (op.generation().isEmpty()
          || before.map(b -> b.getGenerationId().equals(op.generation())).orElse(false));
      default -> false;
    };
  }

  private static boolean asks(Operation op, NodeInfo node) {
    return op.generation().equals(node.getGenerationId()) && op.address().equals(node.getAddress())
        && op.port() == node.getPort();
  }

  private void checkAnswers() {
    Map<Long, Operation> claims = new HashMap<>();
    for (Operation op : history.operations()) {
      if (!(op.outcome() instanceof Ok ok)) {
        continue;
      }
      long v = ok.version();
      if (v > model.lastVersion()) {
        violation(Rule.ACK_NOT_VISIBLE, op + ": answered v" + v + ", beyond the log's last v"
            + model.lastVersion());
        continue;
      }
      Optional<NodeInfo> at = model.node(op.nodeId(), v);
      switch (op.kind()) {
        case REGISTER -> {
          if (!ok.alreadyRegistered()) {
            Optional<TopologyUpdate> change = model.event(v).map(LoggedEvent::update);
            if (change.isEmpty() || !change.get().hasNodeAdded()
                || !change.get().getNodeAdded().getId().equals(op.nodeId())
                || !asks(op, change.get().getNodeAdded())) {
              violation(Rule.ACK_NOT_VISIBLE, op + ": a new registration at v" + v
                  + ", but etcd's change at v" + v + " is "
                  + change.map(TopologyModel::brief).orElse("missing"));
            }
            Operation other = claims.putIfAbsent(v, op);
            if (other != null) {
              violation(Rule.DUPLICATE_CLAIM, "v" + v + " claimed by " + other + " and " + op);
            }
          } else if (at.isEmpty() || !asks(op, at.get())) {
            violation(Rule.ACK_NOT_VISIBLE, op + ": already registered at v" + v
                + ", but at v" + v + " the node is " + at.map(TopologyModel::brief).orElse("absent"));
          }
        }
        case DEREGISTER -> {
          if (at.isPresent()) {
            violation(Rule.ACK_NOT_VISIBLE, op + ": deregistered at v" + v + ", but at v" + v
                + " the node is " + TopologyModel.brief(at.get()));
          }
        }
        case HEARTBEAT -> {
          if (!model.someVersionBetween(op.nodeId(), 0, v,
              n -> n.map(node -> node.getGenerationId().equals(op.generation())).orElse(false))) {
            violation(Rule.ACK_NOT_VISIBLE, op + ": answered at v" + v + ", but " + op.nodeId()
                + "/" + op.generation() + " was not registered at any version up to v" + v);
          }
        }
      }
    }
  }

  /**
   * A write sent after another was answered at version u (or after etcd's change u was seen)
   * is placed at u or later; a new registration, a change of its own, after u.
   */
  private void checkRealTime() {
    List<Operation> writes = history.operations().stream()
        .filter(op -> op.isWrite() && op.outcome() instanceof Ok).toList();
    List<Witness> witnesses = Stream.concat(
        writes.stream().map(op -> new Witness(op.completedNanos(), version(op), op.toString())),
        history.log().stream().map(e -> new Witness(e.arrivedNanos(), e.version(),
            "etcd's change " + TopologyModel.brief(e.update()))))
        .sorted(Comparator.comparingLong(Witness::atNanos)).toList();
    List<Witness> newest = new ArrayList<>(witnesses.size());
    Witness best = null;
    for (Witness w : witnesses) {
      best = best == null || w.version() > best.version() ? w : best;
      newest.add(best);
    }
    for (Operation op : writes) {
      int seenBefore = lastBefore(witnesses, op.invokedNanos());
      if (seenBefore < 0) {
        continue;
      }
      Witness bound = newest.get(seenBefore);
      long v = version(op);
      boolean claim = op.kind() == Kind.REGISTER && !((Ok) op.outcome()).alreadyRegistered();
      if (claim ? v <= bound.version() : v < bound.version()) {
        violation(Rule.STALE_ACK, op + ": sent after " + bound.what() + " (v" + bound.version()
            + ") was known, yet answered at v" + v);
      }
    }
  }

  private record Witness(long atNanos, long version, String what) {}

  /** Index of the last witness strictly before {@code nanos}, or -1. */
  private static int lastBefore(List<Witness> sorted, long nanos) {
    int lo = 0;
    int hi = sorted.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted.get(mid).atNanos() < nanos) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo - 1;
  }

  private static long version(Operation op) {
    return ((Ok) op.outcome()).version();
  }

  private void checkRefusals() {
    Map<String, List<Operation>> answeredBy = history.operations().stream()
        .filter(op -> op.outcome() instanceof Ok)
        .collect(Collectors.groupingBy(Operation::replica));
    for (Operation op : history.operations()) {
      if (!(op.outcome() instanceof Failed failed)) {
        continue;
      }
      long from = answeredBy.getOrDefault(op.replica(), List.of()).stream()
          .filter(o -> o.completedNanos() < op.invokedNanos())
          .mapToLong(HistoryChecker::version).max().orElse(0);
      boolean justified = switch (failed.code()) {
        case NOT_FOUND -> op.kind() == Kind.HEARTBEAT && model.someVersionBetween(op.nodeId(),
            from, model.lastVersion(), Optional::isEmpty);
        case FAILED_PRECONDITION -> op.kind() != Kind.REGISTER && model.someVersionBetween(
            op.nodeId(), from, model.lastVersion(),
            n -> n.map(node -> !node.getGenerationId().equals(op.generation())).orElse(false));
        default -> false;
      };
      if (!justified) {
        violation(Rule.WRONG_REFUSAL, op + ": no version from v" + from + " (the newest this "
            + "replica had answered before) to v" + model.lastVersion() + " justifies "
            + failed.code() + " (" + failed.message() + ")");
      }
    }
  }

  private void checkWatch(WatchSegment segment) {
    String stream = segment.watcher() + " on " + segment.replica() + " since v"
        + segment.sinceVersion();
    long last = segment.sinceVersion();
    boolean first = true;
    for (TopologyUpdate u : segment.received()) {
      if (first && segment.sinceVersion() == 0 && !u.hasFullSync()) {
        violation(Rule.WATCH_ORDER, stream + ": since_version 0 did not start with a full_sync: "
            + TopologyModel.brief(u));
      }
      first = false;
      if (u.hasKeepalive() || u.hasLagged()) {
        if (u.getVersion() != last || u.getPreviousVersion() != last) {
          violation(Rule.WATCH_ORDER, stream + ": " + u.getUpdateCase() + " at v" + u.getVersion()
              + " (previous " + u.getPreviousVersion() + ") after v" + last);
        }
        continue;
      }
      if (u.getPreviousVersion() != last
          || (u.hasFullSync() ? u.getVersion() < last : u.getVersion() != last + 1)) {
        violation(Rule.WATCH_ORDER, stream + ": after v" + last + " came "
            + TopologyModel.brief(u) + " with previous_version " + u.getPreviousVersion());
      }
      if (u.hasFullSync()) {
        checkFullSync(stream, u);
      } else {
        Optional<TopologyUpdate> logged = model.event(u.getVersion()).map(LoggedEvent::update);
        if (logged.isEmpty() || !logged.get().equals(u)) {
          violation(Rule.WATCH_CONTENT, stream + ": delivered " + TopologyModel.brief(u)
              + " where etcd's change is " + logged.map(TopologyModel::brief).orElse("missing"));
        }
      }
      last = u.getVersion();
    }
  }

  private void checkFullSync(String stream, TopologyUpdate u) {
    GetTopologyResponse sync = u.getFullSync();
    if (sync.getVersion() != u.getVersion() || u.getVersion() > model.lastVersion()) {
      violation(Rule.WATCH_CONTENT, stream + ": full_sync at v" + u.getVersion() + " holds v"
          + sync.getVersion() + "; the log ends at v" + model.lastVersion());
      return;
    }
    Map<String, NodeInfo> sent = byId(Stream.of(sync.getFrontendNodesList(),
        sync.getMetadataNodesList(), sync.getObjectNodesList()).flatMap(List::stream).toList());
    Map<String, NodeInfo> expected = model.topologyAt(u.getVersion());
    if (!sent.equals(expected)) {
      violation(Rule.WATCH_CONTENT, stream + ": full_sync at v" + u.getVersion() + " differs "
          + "from the model: " + difference(expected, sent));
    }
  }

  private void checkEnd() {
    History.End end = history.end();
    if (end.etcdVersion() != model.lastVersion()) {
      violation(Rule.FINAL_STATE, "etcd's version is " + end.etcdVersion()
          + " but its log ends at v" + model.lastVersion());
    }
    Map<String, NodeInfo> etcd = byId(end.etcdNodes());
    Map<String, NodeInfo> replayed = model.topologyAt(model.lastVersion());
    if (!etcd.equals(replayed)) {
      violation(Rule.FINAL_STATE, "etcd's node records differ from its replayed log: "
          + difference(replayed, etcd));
    }
    new TreeMap<>(end.replicas()).forEach((replica, snapshot) -> {
      Map<String, NodeInfo> cached = byId(snapshot.nodes());
      if (snapshot.version() != end.etcdVersion() || !cached.equals(etcd)) {
        violation(Rule.FINAL_STATE, replica + "'s cache at v" + snapshot.version()
            + " differs from etcd at v" + end.etcdVersion() + ": " + difference(etcd, cached));
      }
    });
  }

  private static Map<String, NodeInfo> byId(List<NodeInfo> nodes) {
    return nodes.stream().collect(Collectors.toMap(NodeInfo::getId, Function.identity(),
        (a, b) -> a.equals(b) ? a : a.toBuilder().setAddress("<two records for one id>").build(),
        TreeMap::new));
  }

  /** The ids whose records differ, each as expected -> actual. */
  private static String difference(Map<String, NodeInfo> expected, Map<String, NodeInfo> actual) {
    return Stream.concat(expected.keySet().stream(), actual.keySet().stream()).distinct().sorted()
        .filter(id -> !Objects.equals(expected.get(id), actual.get(id)))
        .map(id -> id + ": " + describe(expected.get(id)) + " -> " + describe(actual.get(id)))
        .collect(Collectors.joining("; ", "[", "]"));
  }

  private static String describe(NodeInfo node) {
    return node == null ? "absent" : TopologyModel.brief(node) + " (registered "
        + node.getRegisteredAt() + ", heartbeat " + node.getLastHeartbeatAt() + ", suspected "
        + node.getSuspectCount() + ")";
  }

  /** The calls for one node around a moment, for a message. */
  private String near(String id, long nanos) {
    List<Operation> ops = byNode.getOrDefault(id, List.of());
    return ops.stream().filter(op -> Math.abs(op.invokedNanos() - nanos) < 5_000_000_000L)
        .limit(8).map(Operation::toString).collect(Collectors.joining("; ", "[", "]"));
  }

  /** Status codes that say the outcome is not known: the driver records these as unknown. */
  public static boolean outcomeUnknown(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, ABORTED, RESOURCE_EXHAUSTED -> true;
      default -> false;
    };
  }
}
