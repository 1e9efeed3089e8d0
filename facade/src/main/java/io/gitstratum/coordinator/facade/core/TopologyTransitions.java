package io.gitstratum.coordinator.facade.core;

import io.gitstratum.coordinator.client.topology.TopologyView;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import java.util.Optional;

/**
 * The topology state machine of CONTRACT.md as pure functions of (topology, request, time): no
 * I/O, no clock, no randomness. Callers validate requests first ({@link RequestValidator}).
 */
public final class TopologyTransitions {
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
      return registered(topology, nodeAdded(topology, added), false);
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
      return registered(topology, nodeUpdated(topology, replaced), true);
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
    return registered(topology, nodeUpdated(topology, moved), true);
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
    return new Transition<>(List.of(removed), DeregisterNodeResponse.newBuilder()
        .setTopologyVersion(removed.getVersion()).build());
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
      TopologyUpdate update, boolean alreadyRegistered) {
    return new Transition<>(List.of(update), RegisterNodeResponse.newBuilder()
        .setTopologyVersion(update.getVersion())
        .setAlreadyRegistered(alreadyRegistered)
        .build());
  }
}
