package io.gitstratum.coordinator.facade.core;

import io.gitstratum.coordinator.client.topology.TopologyView;
import io.gitstratum.coordinator.facade.errors.GenerationMismatchException;
import io.gitstratum.coordinator.facade.errors.NodeNotFoundException;
import io.gitstratum.coordinator.facade.errors.NodeStateException;
import io.gitstratum.coordinator.facade.errors.TypeConflictException;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The topology state machine of CONTRACT.md as pure functions of (topology, request, time): no
 * I/O, no clock, no randomness. Callers validate requests first ({@link RequestValidator}).
 */
public final class TopologyTransitions {
  /** States in which a node is expected to heartbeat; silence makes it SUSPECT. */
  public static final Set<NodeState> LIVE = EnumSet.of(NodeState.NODE_STATE_JOINING,
      NodeState.NODE_STATE_ACTIVE, NodeState.NODE_STATE_DRAINING);

  /** Prefix of a fenced generation; with it, longer than the 64 characters a request may use. */
  static final String FENCED = "confirmed-down-by-an-operator-register-again-with-a-new-generation:";

  private TopologyTransitions() {}

  /**
   * RegisterNode (guarantee 2): new id → added; same generation and same fields → nothing; same
   * generation with a new address, port or labels → updated in place; new generation → replaced
   * as a restarted node (JOINING); another type → {@link TypeConflictException}.
   *
   * @param node a validated node, as {@link RequestValidator#register} returns it
   */
  public static Transition<RegisterNodeResponse> register(TopologyView topology, NodeInfo node,
      long nowMs) {
    Optional<NodeInfo> existing = topology.node(node.getId());
    if (existing.isEmpty()) {
      NodeInfo added = node.toBuilder()
          .setState(NodeState.NODE_STATE_JOINING)
          .setRegisteredAt(nowMs)
          .setLastHeartbeatAt(nowMs)
          .build();
      return registered(topology, nodeAdded(topology, added), false,
          List.of(new LivenessEffect.AttachAlive(node.getId(), node.getGenerationId())));
    }
    NodeInfo current = existing.get();
    if (current.getType() != node.getType()) {
      throw new TypeConflictException(node.getId(), current.getType(), node.getType());
    }
    if (!current.getGenerationId().equals(node.getGenerationId())) {
      // A restarted process: a fresh record, as if it had never been seen.
      NodeInfo replaced = node.toBuilder()
          .setState(NodeState.NODE_STATE_JOINING)
          .setRegisteredAt(nowMs)
          .setLastHeartbeatAt(nowMs)
          .build();
      return registered(topology, nodeUpdated(topology, replaced), true, List.of(
          new LivenessEffect.AttachAlive(node.getId(), node.getGenerationId()),
          new LivenessEffect.ClearGrace(node.getId()),
          new LivenessEffect.ClearDrained(node.getId())));
    }
    if (current.getAddress().equals(node.getAddress()) && current.getPort() == node.getPort()
        && current.getLabelsMap().equals(node.getLabelsMap())) {
      return new Transition<>(List.of(), RegisterNodeResponse.newBuilder()
          .setTopologyVersion(topology.version()).setAlreadyRegistered(true).build());
    }
    NodeInfo moved = current.toBuilder()
        .setAddress(node.getAddress())
        .setPort(node.getPort())
        .clearLabels()
        .putAllLabels(node.getLabelsMap())
        .build();
    return registered(topology, nodeUpdated(topology, moved), true, List.of());
  }

  /**
   * DeregisterNode (guarantee 3): an unknown id succeeds with the current version; a non-empty
   * generation that is not the registered one is a zombie's request.
   */
  public static Transition<DeregisterNodeResponse> deregister(TopologyView topology,
      DeregisterNodeRequest request) {
    Optional<NodeInfo> existing = topology.node(request.getNodeId());
    if (existing.isEmpty()) {
      return new Transition<>(List.of(), DeregisterNodeResponse.newBuilder()
          .setTopologyVersion(topology.version()).build());
    }
    String generation = request.getGenerationId();
    if (!generation.isEmpty() && !generation.equals(existing.get().getGenerationId())) {
      throw new GenerationMismatchException(request.getNodeId(),
          existing.get().getGenerationId(), generation);
    }
    TopologyUpdate removed = next(topology).setNodeRemoved(request.getNodeId()).build();
    return new Transition<>(List.of(removed),
        List.of(new LivenessEffect.ClearLiveness(request.getNodeId())),
        DeregisterNodeResponse.newBuilder().setTopologyVersion(removed.getVersion()).build())
        .because(ChangeReason.CHANGE_REASON_DEREGISTERED);
  }

  /**
   * Heartbeat (state machine of CONTRACT.md). The common case changes nothing and writes nothing:
   * the caller only renews the node's lease. A write happens for a state change (JOINING→ACTIVE,
   * SUSPECT/DOWN→ACTIVE or the reported state, →DRAINING) or when the node's lease is gone.
   *
   * @throws NodeNotFoundException for an unregistered node
   * @throws GenerationMismatchException for a heartbeat from a replaced process
   */
  public static Transition<HeartbeatOutcome> heartbeat(TopologyView topology,
      LivenessView liveness, HeartbeatRequest request, long nowMs) {
    NodeInfo node = topology.node(request.getNodeId())
        .orElseThrow(() -> new NodeNotFoundException(request.getNodeId()));
    if (node.getGenerationId().equals(fenced(request.getGenerationId()))) {
      throw GenerationMismatchException.confirmedDown(node.getId(), request.getGenerationId());
    }
    if (!node.getGenerationId().equals(request.getGenerationId())) {
      throw new GenerationMismatchException(node.getId(), node.getGenerationId(),
          request.getGenerationId());
    }
    NodeState current = node.getState();
    NodeState target = nextState(liveness.isDrained(node.getId()) ? NodeState.NODE_STATE_DRAINING
        : current, request.getReportedState());
    boolean expired = current == NodeState.NODE_STATE_SUSPECT
        || current == NodeState.NODE_STATE_DOWN || !liveness.hasAlive(node.getId());
    if (target == current && !expired) {
      return new Transition<>(List.of(), new HeartbeatOutcome(topology.version(), node));
    }
    List<LivenessEffect> effects = expired
        ? List.of(new LivenessEffect.AttachAlive(node.getId(), node.getGenerationId()),
            new LivenessEffect.ClearGrace(node.getId()))
        : List.of();
    if (target == current) {
      // Only the lease lapsed (the detector has not acted yet): renew it, no topology change.
      return new Transition<>(List.of(), effects, new HeartbeatOutcome(topology.version(), node));
    }
    NodeInfo changed = node.toBuilder().setState(target).setLastHeartbeatAt(nowMs).build();
    TopologyUpdate update = nodeUpdated(topology, changed);
    return new Transition<>(List.of(update), effects,
        new HeartbeatOutcome(update.getVersion(), changed))
        .because(current == NodeState.NODE_STATE_SUSPECT || current == NodeState.NODE_STATE_DOWN
            ? ChangeReason.CHANGE_REASON_HEARTBEAT_REVIVED
            : ChangeReason.CHANGE_REASON_HEARTBEAT_REPORTED);
  }

  /**
   * The state a heartbeat moves a node to. UNKNOWN and ACTIVE mean "serving"; JOINING keeps a
   * joining (or returning) node JOINING; DRAINING is sticky until the node re-registers, so an
   * operator's drain is not undone by the node's next routine heartbeat.
   */
  static NodeState nextState(NodeState current, NodeState reported) {
    if (reported == NodeState.NODE_STATE_DRAINING || current == NodeState.NODE_STATE_DRAINING) {
      return NodeState.NODE_STATE_DRAINING;
    }
    boolean returning = current == NodeState.NODE_STATE_SUSPECT
        || current == NodeState.NODE_STATE_DOWN;
    if (reported == NodeState.NODE_STATE_JOINING) {
      return returning || current == NodeState.NODE_STATE_JOINING
          ? NodeState.NODE_STATE_JOINING : current;
    }
    return NodeState.NODE_STATE_ACTIVE;
  }

  /**
   * Failure detector: a live node whose lease expired becomes SUSPECT (suspect_count + 1) and
   * starts its grace period. Anything else (already suspected, back alive, gone) changes nothing.
   * The answer is the new version, empty when nothing changed. Guarded: etcd must still have no
   * alive key for the node when the change commits.
   */
  public static Transition<OptionalLong> suspect(TopologyView topology, LivenessView liveness,
      String nodeId) {
    Optional<NodeInfo> node = topology.node(nodeId);
    if (node.isEmpty() || !LIVE.contains(node.get().getState()) || liveness.hasAlive(nodeId)) {
      return new Transition<>(List.of(), OptionalLong.empty());
    }
    NodeInfo suspected = node.get().toBuilder()
        .setState(NodeState.NODE_STATE_SUSPECT)
        .setSuspectCount(node.get().getSuspectCount() + 1)
        .build();
    TopologyUpdate update = nodeUpdated(topology, suspected);
    return new Transition<>(List.of(update), List.of(new LivenessEffect.StartGrace(nodeId)),
        List.of(new LivenessGuard.AliveAbsent(nodeId)), OptionalLong.of(update.getVersion()),
        ChangeReason.CHANGE_REASON_LEASE_EXPIRED);
  }

  /**
   * Failure detector: a SUSPECT node whose grace period ended becomes DOWN; guarded, so a grace
   * key or a re-attached alive key the cache has not seen yet stops it, and so does an
   * operator's pause (the caller decides nothing while it sees one).
   */
  public static Transition<OptionalLong> down(TopologyView topology, LivenessView liveness,
      String nodeId) {
    Optional<NodeInfo> node = topology.node(nodeId);
    if (node.isEmpty() || node.get().getState() != NodeState.NODE_STATE_SUSPECT
        || liveness.hasGrace(nodeId)) {
      return new Transition<>(List.of(), OptionalLong.empty());
    }
    TopologyUpdate update = nodeUpdated(topology,
        node.get().toBuilder().setState(NodeState.NODE_STATE_DOWN).build());
    return new Transition<>(List.of(update), List.of(),
        List.of(new LivenessGuard.GraceAbsent(nodeId), new LivenessGuard.AliveAbsent(nodeId),
            new LivenessGuard.PauseAbsent()),
        OptionalLong.of(update.getVersion()), ChangeReason.CHANGE_REASON_GRACE_EXPIRED);
  }

  /**
   * An operator confirms that SUSPECT nodes are gone: each becomes DOWN now, without waiting
   * for its grace period or for zone protection, and its grace key is cleared. The incarnation
   * is fenced: the record's generation becomes {@link #fenced} of it, so a later heartbeat of
   * that generation is refused (FAILED_PRECONDITION) instead of reviving the node; the node
   * registers again, as after a restart. Unknown ids and nodes that are already DOWN change
   * nothing. Guarded: a node whose alive key came back (it heartbeats again) is not written DOWN.
   *
   * @return the version after the change, empty when nothing changed
   * @throws NodeStateException for a node that is neither SUSPECT nor DOWN
   */
  public static Transition<OptionalLong> confirmDown(TopologyView topology, List<String> nodeIds) {
    List<TopologyUpdate> updates = new ArrayList<>();
    List<LivenessEffect> effects = new ArrayList<>();
    List<LivenessGuard> guards = new ArrayList<>();
    long version = topology.version();
    for (String id : new LinkedHashSet<>(nodeIds)) {
      Optional<NodeInfo> node = topology.node(id);
      if (node.isEmpty() || node.get().getState() == NodeState.NODE_STATE_DOWN) {
        continue;
      }
      if (node.get().getState() != NodeState.NODE_STATE_SUSPECT) {
        throw new NodeStateException(id, node.get().getState(),
            "only a SUSPECT node can be confirmed DOWN");
      }
      updates.add(TopologyUpdate.newBuilder().setPreviousVersion(version)
          .setVersion(++version)
          .setNodeUpdated(node.get().toBuilder().setState(NodeState.NODE_STATE_DOWN)
              .setGenerationId(fenced(node.get().getGenerationId()))).build());
      effects.add(new LivenessEffect.ClearGrace(id));
      guards.add(new LivenessGuard.AliveAbsent(id));
    }
    return new Transition<>(updates, effects, guards,
        updates.isEmpty() ? OptionalLong.empty() : OptionalLong.of(version),
        ChangeReason.CHANGE_REASON_CONFIRMED_DOWN_BY_OPERATOR);
  }

  /**
   * The generation a confirmed-DOWN record carries: longer than any a request may carry, so
   * no heartbeat matches it, and it names the generation it fenced for people.
   */
  static String fenced(String generation) {
    return FENCED + generation;
  }

  /**
   * An operator drains a node: JOINING, ACTIVE or SUSPECT becomes DRAINING, which stays until
   * the node registers a new generation (its own heartbeats do not undo it). The drain mark
   * ({@code P/drained/<id>}) carries it through SUSPECT and DOWN: a heartbeat that revives the
   * node brings it back DRAINING. Already drained by an operator changes nothing.
   *
   * @return the version after the change (the current one when nothing changed)
   * @throws NodeNotFoundException for an unknown id
   * @throws NodeStateException for a DOWN node
   */
  public static Transition<Long> drain(TopologyView topology, LivenessView liveness,
      String nodeId) {
    NodeInfo node = topology.node(nodeId).orElseThrow(() -> new NodeNotFoundException(nodeId));
    if (node.getState() == NodeState.NODE_STATE_DRAINING && liveness.isDrained(nodeId)) {
      return new Transition<>(List.of(), topology.version());
    }
    if (node.getState() == NodeState.NODE_STATE_DOWN) {
      throw new NodeStateException(nodeId, node.getState(), "a DOWN node cannot be drained");
    }
    List<LivenessEffect> mark = List.of(
        new LivenessEffect.MarkDrained(nodeId, node.getGenerationId()));
    if (node.getState() == NodeState.NODE_STATE_DRAINING) {
      // Draining itself already (its heartbeats said so): only the mark is new.
      return new Transition<>(List.of(), mark, topology.version());
    }
    TopologyUpdate update = nodeUpdated(topology,
        node.toBuilder().setState(NodeState.NODE_STATE_DRAINING).build());
    return new Transition<>(List.of(update), mark, update.getVersion())
        .because(ChangeReason.CHANGE_REASON_DRAINED_BY_OPERATOR);
  }

  static TopologyUpdate nodeAdded(TopologyView topology, NodeInfo node) {
    return next(topology).setNodeAdded(node).build();
  }

  static TopologyUpdate nodeUpdated(TopologyView topology, NodeInfo node) {
    return next(topology).setNodeUpdated(node).build();
  }

  private static TopologyUpdate.Builder next(TopologyView topology) {
    return TopologyUpdate.newBuilder()
        .setPreviousVersion(topology.version())
        .setVersion(topology.version() + 1);
  }

  private static Transition<RegisterNodeResponse> registered(TopologyView topology,
      TopologyUpdate update, boolean alreadyRegistered, List<LivenessEffect> effects) {
    return new Transition<>(List.of(update), effects, RegisterNodeResponse.newBuilder()
        .setTopologyVersion(update.getVersion())
        .setAlreadyRegistered(alreadyRegistered)
        .build()).because(ChangeReason.CHANGE_REASON_REGISTERED);
  }
}
