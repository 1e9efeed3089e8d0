package io.gitstratum.coordinator.facade.server;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.cache.TopologyResponses;
import io.gitstratum.coordinator.facade.core.Durations;
import io.gitstratum.coordinator.facade.core.RequestValidator;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.detect.FailureDetector;
import io.gitstratum.coordinator.facade.detect.ZoneProtection;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.guard.ClientIdentity;
import io.gitstratum.coordinator.facade.guard.NodeAuthorizer;
import io.gitstratum.coordinator.facade.heartbeat.HeartbeatHandler;
import io.gitstratum.coordinator.facade.leader.Leadership;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.watch.WatchHub;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.AddNodeRequest;
import io.gitstratum.coordinator.proto.AddNodeResponse;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import io.gitstratum.coordinator.proto.EtcdMember;
import io.gitstratum.coordinator.proto.GetClusterStateRequest;
import io.gitstratum.coordinator.proto.GetClusterStateResponse;
import io.gitstratum.coordinator.proto.GetHashRingRequest;
import io.gitstratum.coordinator.proto.GetHashRingResponse;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetLeaderResponse;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RaftState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.RemoveNodeRequest;
import io.gitstratum.coordinator.proto.RemoveNodeResponse;
import io.gitstratum.coordinator.proto.SetNodeStateRequest;
import io.gitstratum.coordinator.proto.SetNodeStateResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The gRPC face of the contract: validates, checks that the caller may act on the node (mutual
 * TLS), delegates to the write path or the cache, and maps errors. No topology logic lives here.
 * Rate limits and identities are settled before a call gets here ({@code guard}).
 *
 * <p>Handlers run on gRPC's transport threads and never block there; an answer whose size grows
 * with the cluster (a topology, a ring: built once per version, then shared) is built and sent
 * from {@link #ANSWERS}, so that a 100,000-node build never holds up the heartbeats read by the
 * same transport thread.
 */
@Singleton
public final class CoordinatorService extends CoordinatorServiceGrpc.CoordinatorServiceImplBase {
  /** Builds and sends the answers that grow with the cluster: pure CPU work, one thread a core. */
  private static final ExecutorService ANSWERS = Executors.newFixedThreadPool(
      Runtime.getRuntime().availableProcessors(),
      new ThreadFactoryBuilder().setNameFormat("rpc-answers-%d").setDaemon(true).build());

  private final EtcdMemberHealth members;
  private final TopologyCache cache;
  private final TopologyWriter writer;
  private final EtcdTopologyStore store;
  private final Leadership leadership;
  private final Clock clock;
  private final Duration timeout;
  private final WatchHub hub;
  private final HeartbeatHandler heartbeats;
  private final FailureDetector detector;
  private final RingCache rings;
  private final NodeAuthorizer authorizer;
  private final TopologyResponses responses;
  private final LegacySetNodeState setNodeState;

  private static final AddNodeResponse ADDED = AddNodeResponse.newBuilder().setSuccess(true)
      .build();
  private static final RemoveNodeResponse REMOVED = RemoveNodeResponse.newBuilder()
      .setSuccess(true).build();

  @Inject
  public CoordinatorService(TopologyCache cache, TopologyWriter writer, EtcdTopologyStore store,
      WatchHub hub, HeartbeatHandler heartbeats, FailureDetector detector, Leadership leadership,
      Clock clock, EtcdSettings etcd, RingCache rings, NodeAuthorizer authorizer,
      TopologyResponses responses, LegacySetNodeState setNodeState, EtcdMemberHealth members) {
    this.setNodeState = setNodeState;
    this.members = members;
    this.authorizer = authorizer;
    this.responses = responses;
    this.rings = rings;
    this.cache = cache;
    this.hub = hub;
    this.heartbeats = heartbeats;
    this.detector = detector;
    this.writer = writer;
    this.store = store;
    this.leadership = leadership;
    this.clock = clock;
    this.timeout = etcd.timeout();
  }

  /**
   * The service to register: GetTopology and WatchTopology send the shared encoding of a
   * topology ({@link SharedTopologyEncoding}), and WatchTopology its headers at once
   * ({@link PromptWatchHeaders}).
   */
  public ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(SharedTopologyEncoding.apply(bindService(), responses),
        new PromptWatchHeaders());
  }

  @Override
  public void registerNode(RegisterNodeRequest request,
      StreamObserver<RegisterNodeResponse> observer) {
    StatusMapper.respondAsync("RegisterNode", observer, () -> register(request));
  }

  private CompletableFuture<RegisterNodeResponse> register(RegisterNodeRequest request) {
    NodeInfo node = RequestValidator.register(request);
    authorizer.requireMayActOn(node.getId());
    return writer.submit(ClientIdentity.current().actor(), (view, liveness) ->
        TopologyTransitions.register(view, node, clock.millis()));
  }

  @Override
  public void deregisterNode(DeregisterNodeRequest request,
      StreamObserver<DeregisterNodeResponse> observer) {
    StatusMapper.respondAsync("DeregisterNode", observer, () -> deregister(request));
  }

  private CompletableFuture<DeregisterNodeResponse> deregister(DeregisterNodeRequest request) {
    RequestValidator.deregister(request);
    authorizer.requireMayActOn(request.getNodeId());
    return writer.submit(ClientIdentity.current().actor(),
        (view, liveness) -> TopologyTransitions.deregister(view, request));
  }

  /** gitstratum's legacy AddNode: RegisterNode (field numbers alike); failures are status codes. */
  @Override
  public void addNode(AddNodeRequest request, StreamObserver<AddNodeResponse> observer) {
    StatusMapper.respondAsync("AddNode", observer, () -> register(RegisterNodeRequest.newBuilder()
        .setNode(request.getNode()).build()).thenApply(registered -> ADDED));
  }

  /** gitstratum's legacy RemoveNode: DeregisterNode without a generation check. */
  @Override
  public void removeNode(RemoveNodeRequest request, StreamObserver<RemoveNodeResponse> observer) {
    StatusMapper.respondAsync("RemoveNode", observer, () -> deregister(
        DeregisterNodeRequest.newBuilder().setNodeId(request.getNodeId()).build())
        .thenApply(removed -> REMOVED));
  }

  /** gitstratum's legacy SetNodeState: only what a heartbeat or an operator could do. */
  @Override
  public void setNodeState(SetNodeStateRequest request,
      StreamObserver<SetNodeStateResponse> observer) {
    StatusMapper.respondAsync("SetNodeState", observer, () -> setNodeState.apply(request));
  }

  /**
   * gitstratum's legacy GetClusterState: GetTopology's snapshot in the old shape (no frontend
   * nodes), read linearizably as gitstratum's single-leader coordinator answered it, so its
   * client sees its own AddNode through any replica.
   */
  @Override
  public void getClusterState(GetClusterStateRequest request,
      StreamObserver<GetClusterStateResponse> observer) {
    StatusMapper.respondAsync("GetClusterState", observer, () -> readable(true)
        .thenApplyAsync(topology -> {
          GetTopologyResponse snapshot = responses.of(topology);
          return GetClusterStateResponse.newBuilder()
              .addAllMetadataNodes(snapshot.getMetadataNodesList())
              .addAllObjectNodes(snapshot.getObjectNodesList())
              .setLeaderId(snapshot.getLeaderId())
              .setVersion(snapshot.getVersion())
              .setHashRingConfig(snapshot.getHashRingConfig())
              .build();
        }, ANSWERS));
  }

  @Override
  public void getTopology(GetTopologyRequest request,
      StreamObserver<GetTopologyResponse> observer) {
    StatusMapper.respondAsync("GetTopology", observer, () -> readable(request.getLinearizable())
        .thenApplyAsync(topology -> {
          if (request.getMinVersion() > 0
              && Long.compareUnsigned(topology.version(), request.getMinVersion()) <= 0) {
            return GetTopologyResponse.newBuilder()
                .setVersion(topology.version()).setUnchanged(true).build();
          }
          return responses.of(topology);
        }, ANSWERS));
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
    StatusMapper.respondAsync("Heartbeat", observer, () -> {
      RequestValidator.heartbeat(request);
      authorizer.requireMayActOn(request.getNodeId());
      return heartbeats.heartbeat(request);
    });
  }

  @Override
  public void watchTopology(WatchTopologyRequest request,
      StreamObserver<TopologyUpdate> observer) {
    try {
      hub.subscribe(request, (ServerCallStreamObserver<TopologyUpdate>) observer);
    } catch (RuntimeException e) {
      StatusMapper.fail("WatchTopology", observer, e);
    }
  }

  @Override
  public void getHashRing(GetHashRingRequest request,
      StreamObserver<GetHashRingResponse> observer) {
    StatusMapper.respondAsync("GetHashRing", observer, () -> readable(false)
        .thenApplyAsync(topology -> {
          ConsistentHashRing ring = rings.ringFor(topology);
          return GetHashRingResponse.newBuilder()
              .addAllEntries(ring.toEntries())
              .setReplicationFactor(ring.replicationFactor())
              .setVersion(topology.version())
              .build();
        }, ANSWERS));
  }

  @Override
  public void getLeader(GetLeaderRequest request, StreamObserver<GetLeaderResponse> observer) {
    StatusMapper.respond("GetLeader", observer, () -> {
      GetLeaderResponse.Builder out = GetLeaderResponse.newBuilder()
          .setIsLeader(leadership.isLeader());
      leadership.leader().ifPresent(l -> out.setLeaderId(l.replicaId()).setLeaderAddress(l.address()));
      return out.build();
    });
  }

  @Override
  public void healthCheck(HealthCheckRequest request,
      StreamObserver<HealthCheckResponse> observer) {
    StatusMapper.respond("HealthCheck", observer, () -> {
      TopologyCache.State state = cache.state();
      Topology topology = state.topology();
      ZoneProtection.State protection = detector.protection();
      HealthCheckResponse.Builder out = HealthCheckResponse.newBuilder()
          // Unhealthy while the cache does not follow etcd, or while most nodes of a zone look
          // dead at once (zone protection, as of the detector's last scan: judging counts every
          // node, too much for each call).
          .setHealthy(cache.isSynced() && !protection.protecting())
          .addAllProtectedZones(protection.toProto())
          .setRaftState(leadership.isLeader() ? RaftState.RAFT_STATE_LEADER
              : RaftState.RAFT_STATE_FOLLOWER)
          .setRaftTerm(state.raftTerm())
          .setCommittedIndex(state.revision())
          .setAppliedIndex(state.revision())
          .setTopologyVersion(topology.version())
          .setActiveNodes(topology.count(NodeState.NODE_STATE_ACTIVE))
          .setSuspectNodes(topology.count(NodeState.NODE_STATE_SUSPECT))
          .setDownNodes(topology.count(NodeState.NODE_STATE_DOWN))
          .setWatchSubscribers(hub.subscriberCount());
      leadership.leader().ifPresent(l -> out.setLeaderId(l.replicaId()).setLeaderAddress(l.address()));
      // The background check's last result: a member down with quorum kept is news for the
      // operator, not a reason to take this replica out of service.
      EtcdMemberHealth.Members etcdMembers = members.members();
      etcdMembers.members().forEach(m -> out.addEtcdMembers(
          EtcdMember.newBuilder().setName(m.name())
              .setEndpoint(m.endpoint()).setAnswers(m.answers()).setProblem(m.problem())));
      out.setEtcdMembersCheckedAt(etcdMembers.checkedAtMs());
      return out.build();
    });
  }

  /**
   * The cached topology; with {@code linearizable}, only after the cache holds etcd's current
   * version (guarantee 6: a client sees its earlier writes through any replica), waited for
   * without holding a thread.
   */
  private CompletableFuture<Topology> readable(boolean linearizable) {
    if (linearizable) {
      return store.currentVersionRevisionAsync().thenCompose(current ->
          cache.whenVersionRevision(current, timeout).handle((caughtUp, timedOut) -> {
            if (timedOut != null) {
              throw UnavailableException.notReady("the topology cache did not reach etcd "
                  + "revision " + current + " within " + Durations.format(timeout));
            }
            return cache.state().topology();
          }));
    }
    if (!cache.isSynced() && cache.state().revision() == 0) {
      throw UnavailableException.notReady("the topology cache has not loaded from etcd yet");
    }
    return CompletableFuture.completedFuture(cache.state().topology());
  }

}
