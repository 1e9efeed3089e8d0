package io.gitstratum.coordinator.facade.server;

import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.RequestValidator;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.errors.NodeNotFoundException;
import io.gitstratum.coordinator.facade.errors.NodeStateException;
import io.gitstratum.coordinator.facade.guard.ClientIdentity;
import io.gitstratum.coordinator.facade.guard.NodeAuthorizer;
import io.gitstratum.coordinator.facade.heartbeat.HeartbeatHandler;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.SetNodeStateRequest;
import io.gitstratum.coordinator.proto.SetNodeStateResponse;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * gitstratum's legacy SetNodeState (docs/CONTRACT.md), taken only where the stable contract
 * already has a path: ACTIVE and DRAINING are what the node's own heartbeat reports (the node
 * itself or an operator; the heartbeat path with the registered generation), DOWN is an
 * operator's ConfirmDown; any other state is FAILED_PRECONDITION naming those paths. Thread-safe.
 */
@Singleton
public final class LegacySetNodeState {
  private static final SetNodeStateResponse DONE =
      SetNodeStateResponse.newBuilder().setSuccess(true).build();

  private final TopologyCache cache;
  private final HeartbeatHandler heartbeats;
  private final TopologyWriter writer;
  private final NodeAuthorizer authorizer;

  @Inject
  public LegacySetNodeState(TopologyCache cache, HeartbeatHandler heartbeats,
      TopologyWriter writer, NodeAuthorizer authorizer) {
    this.cache = cache;
    this.heartbeats = heartbeats;
    this.writer = writer;
    this.authorizer = authorizer;
  }

  public CompletableFuture<SetNodeStateResponse> apply(SetNodeStateRequest request) {
    RequestValidator.setNodeState(request);
    String id = request.getNodeId();
    NodeState state = request.getState();
    switch (state) {
      case NODE_STATE_ACTIVE, NODE_STATE_DRAINING -> {
        authorizer.requireMayActOn(id);
        // An unknown node keeps the empty generation: the heartbeat path answers NOT_FOUND.
        String generation = cache.state().topology().node(id).map(NodeInfo::getGenerationId)
            .orElse("");
        return heartbeats.heartbeat(HeartbeatRequest.newBuilder().setNodeId(id)
            .setGenerationId(generation).setReportedState(state).build())
            .thenApply(answer -> DONE);
      }
      case NODE_STATE_DOWN -> {
        authorizer.requireOperator();
        return writer.submit(ClientIdentity.current().actor(), (view, liveness) -> {
          if (view.node(id).isEmpty()) {
            throw new NodeNotFoundException(id);
          }
          return TopologyTransitions.confirmDown(view, List.of(id));
        }).thenApply(version -> DONE);
      }
      default -> throw NodeStateException.notSettable(id, state);
    }
  }
}
