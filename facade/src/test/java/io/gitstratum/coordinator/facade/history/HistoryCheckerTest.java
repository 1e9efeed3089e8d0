package io.gitstratum.coordinator.facade.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.history.Operation.Failed;
import io.gitstratum.coordinator.facade.history.Operation.Kind;
import io.gitstratum.coordinator.facade.history.Operation.Ok;
import io.gitstratum.coordinator.facade.history.Operation.Outcome;
import io.gitstratum.coordinator.facade.history.Operation.Unknown;
import io.gitstratum.coordinator.facade.history.Violation.Rule;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.Keepalive;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link HistoryChecker} on hand-made histories: a valid one passes, and a history that breaks
 * each rule is rejected naming that rule.
 */
class HistoryCheckerTest {
  private static final NodeInfo A = node("a", "g1", NodeState.NODE_STATE_JOINING);
  private static final NodeInfo A_ACTIVE = A.toBuilder().setState(NodeState.NODE_STATE_ACTIVE)
      .build();
  private static final NodeInfo B = node("b", "g1", NodeState.NODE_STATE_JOINING);
  private static final NodeInfo C = node("c", "g1", NodeState.NODE_STATE_JOINING);

  /** The valid base history: a registers, heartbeats, b registers, a leaves; z never lands. */
  private final List<LoggedEvent> log = new ArrayList<>(List.of(
      new LoggedEvent(added(1, A), 12),
      new LoggedEvent(updated(2, A_ACTIVE), 22),
      new LoggedEvent(added(3, B), 32),
      new LoggedEvent(removed(4, "a"), 42)));
  private final List<Operation> ops = new ArrayList<>(List.of(
      register(0, "r0", "a", 1, 11, new Ok(1, false)),
      heartbeat(1, "r0", "a", 15, 21, new Ok(2, false)),
      register(2, "r1", "b", 25, 31, new Ok(3, false)),
      deregister(3, "r1", "a", 35, 41, new Ok(4, false)),
      register(4, "r1", "z", 5, 50, new Unknown("UNAVAILABLE"))));
  private final List<WatchSegment> watches = new ArrayList<>(List.of(new WatchSegment("w0", "r0",
      0, List.of(fullSync(0, 0), added(1, A), updated(2, A_ACTIVE), keepalive(2), added(3, B),
          removed(4, "a")))));
  private History.End end = new History.End(4, List.of(B),
      Map.of("r0", new History.Snapshot(4, List.of(B)), "r1", new History.Snapshot(4, List.of(B))));

  private List<Violation> check() {
    return HistoryChecker.check(new History(log, ops, watches, end));
  }

  private void assertOnly(Rule rule) {
    List<Violation> found = check();
    assertTrue(!found.isEmpty(), "no violation found, expected " + rule);
    assertEquals(Set.of(rule), found.stream().map(Violation::rule).collect(Collectors.toSet()),
        "violations: " + found);
  }

  @Test
  void aHistoryThatFitsTheModelPasses() {
    assertEquals(List.of(), check());
  }

  @Test
  void anUnknownOutcomeMayHaveHappenedOrNot() {
    ops.set(4, register(4, "r1", "c", 5, 60, new Unknown("DEADLINE_EXCEEDED")));
    assertEquals(List.of(), check(), "it did not happen");
    log.add(new LoggedEvent(added(5, C), 52));
    end = new History.End(5, List.of(B, C), Map.of());
    assertEquals(List.of(), check(), "it did happen");
  }

  @Test
  void aGapInTheLogIsRejected() {
    log.set(3, new LoggedEvent(removed(5, "a"), 42));
    ops.set(3, deregister(3, "r1", "a", 35, 41, new Ok(5, false)));
    watches.clear();
    end = new History.End(5, List.of(B), Map.of());
    assertOnly(Rule.LOG_NOT_DENSE);
  }

  @Test
  void aChangeImpossibleOnTheTopologyBeforeItIsRejected() {
    log.set(2, new LoggedEvent(added(3, A_ACTIVE.toBuilder().setPort(7001).build()), 32));
    ops.set(2, new Operation(2, "c2", "r1", Kind.REGISTER, "a", "g1", "10.0.0.1", 7001, 25, 31,
        new Ok(3, false)));
    watches.clear();
    end = new History.End(4, List.of(), Map.of());
    assertOnly(Rule.ILLEGAL_CHANGE);
  }

  @Test
  void aChangeNobodyAskedForIsRejected() {
    log.add(new LoggedEvent(added(5, C), 52));
    end = new History.End(5, List.of(B, C), Map.of());
    assertOnly(Rule.UNEXPLAINED_CHANGE);
  }

  @Test
  void aChangeThatReachedTheLogBeforeItsCallWasSentIsRejected() {
    ops.set(4, register(4, "r1", "c", 53, 60, new Unknown("UNAVAILABLE")));
    log.add(new LoggedEvent(added(5, C), 52));
    end = new History.End(5, List.of(B, C), Map.of());
    assertOnly(Rule.UNEXPLAINED_CHANGE);
  }

  /** A copy of a commit applied twice: a's registration appears again after its removal. */
  @Test
  void oneCallMakesAtMostOneChange() {
    ops.set(4, register(4, "r1", "a", 45, 80, new Unknown("UNAVAILABLE")));
    log.add(new LoggedEvent(added(5, A), 52));
    end = new History.End(5, List.of(A, B), Map.of());
    assertEquals(List.of(), check(), "the unknown registration made v5");
    ops.add(deregister(5, "r0", "a", 55, 63, new Ok(6, false)));
    log.add(new LoggedEvent(removed(6, "a"), 62));
    log.add(new LoggedEvent(added(7, A), 72));
    end = new History.End(7, List.of(A, B), Map.of());
    assertOnly(Rule.UNEXPLAINED_CHANGE);
  }

  @Test
  void theDetectorMayMarkANodeSuspect() {
    ops.remove(3);
    log.set(3, new LoggedEvent(updated(4, A_ACTIVE.toBuilder()
        .setState(NodeState.NODE_STATE_SUSPECT).setSuspectCount(1).build()), 42));
    watches.clear();
    NodeInfo suspect = A_ACTIVE.toBuilder().setState(NodeState.NODE_STATE_SUSPECT)
        .setSuspectCount(1).build();
    end = new History.End(4, List.of(suspect, B), Map.of());
    assertEquals(List.of(), check());
  }

  /**
   * Issue 24's lost commit answer: replica r0 answered "c registered at v4", but v4 is another
   * replica's change (here the removal of a, which r0's own batch also asked for).
   */
  @Test
  void anAcknowledgedWriteMissingAtItsVersionIsRejected() {
    ops.add(register(5, "r0", "c", 33, 45, new Ok(4, false)));
    assertOnly(Rule.ACK_NOT_VISIBLE);
  }

  @Test
  void alreadyRegisteredAtAVersionWhereTheNodeIsGoneIsRejected() {
    ops.add(register(5, "r0", "a", 43, 45, new Ok(4, true)));
    assertOnly(Rule.ACK_NOT_VISIBLE);
  }

  @Test
  void aHeartbeatOfANodeNeverRegisteredIsRejected() {
    ops.add(heartbeat(5, "r0", "c", 43, 45, new Ok(4, false)));
    assertOnly(Rule.ACK_NOT_VISIBLE);
  }

  @Test
  void twoAcknowledgementsOfOneVersionAreRejected() {
    ops.add(register(5, "r1", "b", 26, 33, new Ok(3, false)));
    assertOnly(Rule.DUPLICATE_CLAIM);
  }

  @Test
  void anAnswerOlderThanOneAlreadyGivenIsRejected() {
    // b was registered at v3 (answered at 31); a call sent at 33 answers "already, at v3": fine.
    ops.add(register(5, "r0", "b", 33, 34, new Ok(3, true)));
    assertEquals(List.of(), check());
    // a call sent after etcd's v4 arrived (42) cannot be placed at v3.
    ops.set(5, register(5, "r0", "b", 43, 44, new Ok(3, true)));
    assertOnly(Rule.STALE_ACK);
  }

  @Test
  void aRefusalNoVersionJustifiesIsRejected() {
    ops.add(heartbeat(5, "r0", "b", 33, 34, new Failed(Status.Code.FAILED_PRECONDITION, "g")));
    assertOnly(Rule.WRONG_REFUSAL);
    ops.set(5, heartbeat(5, "r0", "a", 43, 44, new Failed(Status.Code.NOT_FOUND, "a")));
    assertEquals(List.of(), check(), "a is gone at v4");
    ops.set(5, register(5, "r0", "b", 33, 34, new Failed(Status.Code.INTERNAL, "bug")));
    assertOnly(Rule.WRONG_REFUSAL);
  }

  @Test
  void aRefusalOlderThanTheReplicasOwnAnswersIsRejected() {
    // r1 answered b's registration (v3) at 31; at 33 it cannot say b is not registered.
    ops.add(heartbeat(5, "r1", "b", 33, 34, new Failed(Status.Code.NOT_FOUND, "b")));
    log.add(new LoggedEvent(removed(5, "b"), 52));
    ops.add(deregister(6, "r0", "b", 50, 53, new Ok(5, false)));
    watches.clear();
    end = new History.End(5, List.of(), Map.of());
    assertEquals(List.of(), check(), "b is gone at v5, after the refusal was sent");
    ops.set(5, heartbeat(5, "r1", "b", 33, 34, new Failed(Status.Code.FAILED_PRECONDITION, "g")));
    assertOnly(Rule.WRONG_REFUSAL);
  }

  @Test
  void aWatchWithAGapIsRejected() {
    watches.set(0, new WatchSegment("w0", "r0", 0, List.of(fullSync(0, 0), added(1, A),
        added(3, B))));
    assertOnly(Rule.WATCH_ORDER);
  }

  @Test
  void aKeepaliveThatAdvancesIsRejected() {
    watches.set(0, new WatchSegment("w0", "r0", 1, List.of(keepalive(1).toBuilder()
        .setVersion(2).build())));
    assertOnly(Rule.WATCH_ORDER);
  }

  @Test
  void aWatchThatDeliversSomethingElseThanEtcdIsRejected() {
    watches.set(0, new WatchSegment("w0", "r0", 2, List.of(added(3, C))));
    assertOnly(Rule.WATCH_CONTENT);
  }

  @Test
  void aFullSyncThatDiffersFromTheModelIsRejected() {
    TopologyUpdate sync = fullSync(3, 1).toBuilder().setFullSync(GetTopologyResponse.newBuilder()
        .setVersion(3).addObjectNodes(B)).build();
    watches.set(0, new WatchSegment("w0", "r0", 1, List.of(sync)));
    assertOnly(Rule.WATCH_CONTENT);
  }

  @Test
  void aReplicaWhoseCacheDiffersFromEtcdIsRejected() {
    end = new History.End(4, List.of(B), Map.of("r0", new History.Snapshot(4, List.of(B, A))));
    assertOnly(Rule.FINAL_STATE);
    end = new History.End(4, List.of(B), Map.of("r0", new History.Snapshot(3, List.of(B))));
    assertOnly(Rule.FINAL_STATE);
  }

  @Test
  void etcdNodesThatDifferFromItsLogAreRejected() {
    end = new History.End(4, List.of(), Map.of());
    assertOnly(Rule.FINAL_STATE);
  }

  private static NodeInfo node(String id, String generation, NodeState state) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(generation).setState(state).build();
  }

  private static TopologyUpdate added(long v, NodeInfo node) {
    return TopologyUpdate.newBuilder().setVersion(v).setPreviousVersion(v - 1).setNodeAdded(node)
        .build();
  }

  private static TopologyUpdate updated(long v, NodeInfo node) {
    return TopologyUpdate.newBuilder().setVersion(v).setPreviousVersion(v - 1)
        .setNodeUpdated(node).build();
  }

  private static TopologyUpdate removed(long v, String id) {
    return TopologyUpdate.newBuilder().setVersion(v).setPreviousVersion(v - 1).setNodeRemoved(id)
        .build();
  }

  private static TopologyUpdate keepalive(long v) {
    return TopologyUpdate.newBuilder().setVersion(v).setPreviousVersion(v)
        .setKeepalive(Keepalive.getDefaultInstance()).build();
  }

  private static TopologyUpdate fullSync(long v, long previous) {
    return TopologyUpdate.newBuilder().setVersion(v).setPreviousVersion(previous)
        .setFullSync(GetTopologyResponse.newBuilder().setVersion(v)).build();
  }

  private static Operation register(int id, String replica, String node, long sent, long answered,
      Outcome outcome) {
    return new Operation(id, "c" + id, replica, Kind.REGISTER, node, "g1", "10.0.0.1", 7000, sent,
        answered, outcome);
  }

  private static Operation heartbeat(int id, String replica, String node, long sent, long answered,
      Outcome outcome) {
    return new Operation(id, "c" + id, replica, Kind.HEARTBEAT, node, "g1", "", 0, sent, answered,
        outcome);
  }

  private static Operation deregister(int id, String replica, String node, long sent,
      long answered, Outcome outcome) {
    return new Operation(id, "c" + id, replica, Kind.DEREGISTER, node, "g1", "", 0, sent, answered,
        outcome);
  }
}
