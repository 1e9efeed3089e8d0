package io.gitstratum.coordinator.facade.admin;

import io.gitstratum.coordinator.admin.ConfirmDownOutcome;
import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.ConfirmDownResponse;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.DetectorState;
import io.gitstratum.coordinator.admin.DrainNodeRequest;
import io.gitstratum.coordinator.admin.DrainNodeResponse;
import io.gitstratum.coordinator.admin.GetDetectorStateRequest;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.admin.PauseDetectorRequest;
import io.gitstratum.coordinator.admin.ResumeDetectorRequest;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.RequestValidator;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.detect.DetectorEvents;
import io.gitstratum.coordinator.facade.detect.FailureDetector;
import io.gitstratum.coordinator.facade.detect.ZoneProtection;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.gitstratum.coordinator.facade.guard.ClientIdentity;
import io.gitstratum.coordinator.facade.guard.NodeAuthorizer;
import io.gitstratum.coordinator.facade.leader.Leadership;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore.RecordedChange;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.schema.records.DetectorEventKind;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin service (proto {@code gitstratum.admin.CoordinatorAdmin}): an operator pauses and
 * resumes SUSPECT→DOWN, confirms nodes DOWN, drains a node, and reads the detector's state and
 * the change history. Only operators may call it ({@link NodeAuthorizer#requireOperator}); node
 * changes go through the write path like any other, with the operator as their actor. Handlers
 * run on gRPC's threads and never block: etcd reads and the pause key are written on the
 * {@code admin} thread.
 */
@Singleton
public final class AdminService extends CoordinatorAdminGrpc.CoordinatorAdminImplBase {
  private static final Logger log = LoggerFactory.getLogger(AdminService.class);
  private static final int DEFAULT_HISTORY = 100;

  private final NodeAuthorizer authorizer;
  private final TopologyWriter writer;
  private final EtcdAdminStore store;
  private final TopologyCache cache;
  private final FailureDetector detector;
  private final Leadership leadership;
  private final Clock clock;
  private final ExecutorService blocking;

  @Inject
  public AdminService(NodeAuthorizer authorizer, TopologyWriter writer, EtcdAdminStore store,
      TopologyCache cache, FailureDetector detector, Leadership leadership, Clock clock,
      @Named("admin") ExecutorService blocking) {
    this.authorizer = authorizer;
    this.writer = writer;
    this.store = store;
    this.cache = cache;
    this.detector = detector;
    this.leadership = leadership;
    this.clock = clock;
    this.blocking = blocking;
  }

  @Override
  public void getDetectorState(GetDetectorStateRequest request,
      StreamObserver<DetectorState> observer) {
    StatusMapper.respond("GetDetectorState", observer, () -> {
      authorizer.requireOperator();
      return state(cache.detectorPause());
    });
  }

  @Override
  public void pauseDetector(PauseDetectorRequest request, StreamObserver<DetectorState> observer) {
    StatusMapper.respondAsync("PauseDetector", observer, () -> {
      authorizer.requireOperator();
      RequestValidator.pause(request);
      DetectorPauseRecord pause = DetectorPauseRecord.newBuilder()
          .setBy(ClientIdentity.current().actor()).setReason(request.getReason())
          .setAt(clock.millis()).build();
      return CompletableFuture.supplyAsync(() -> {
        store.pause(pause, DetectorEvents.record(DetectorEventKind.DETECTOR_EVENT_PAUSED,
            pause.getBy(), pause.getReason(), pause.getAt(), ""));
        log.warn("SUSPECT->DOWN paused by {}: {}", pause.getBy(), pause.getReason());
        return state(Optional.of(pause));
      }, blocking);
    });
  }

  @Override
  public void resumeDetector(ResumeDetectorRequest request,
      StreamObserver<DetectorState> observer) {
    StatusMapper.respondAsync("ResumeDetector", observer, () -> {
      authorizer.requireOperator();
      String by = ClientIdentity.current().actor();
      long at = clock.millis();
      return CompletableFuture.supplyAsync(() -> {
        if (store.resume(DetectorEvents.record(DetectorEventKind.DETECTOR_EVENT_RESUMED, by, "",
            at, ""))) {
          log.info("SUSPECT->DOWN resumed by {}", by);
        }
        return state(Optional.empty());
      }, blocking);
    });
  }

  /**
   * Every node is checked on the cache first (one that is not SUSPECT refuses the whole call,
   * writing nothing); then each is its own command, so a list of any length is written in as
   * many transactions as etcd's limits need, and the answer says what happened to each node.
   */
  @Override
  public void confirmDown(ConfirmDownRequest request,
      StreamObserver<ConfirmDownResponse> observer) {
    StatusMapper.respondAsync("ConfirmDown", observer, () -> {
      authorizer.requireOperator();
      List<String> ids = List.copyOf(new LinkedHashSet<>(RequestValidator.confirmDown(request)));
      Topology seen = cache.state().topology();
      TopologyTransitions.confirmDown(seen, ids); // throws for a live node: nothing written
      String actor = ClientIdentity.current().actor();
      List<CompletableFuture<ConfirmDownOutcome>> outcomes = new ArrayList<>(ids.size());
      for (String id : ids) {
        CompletableFuture<OptionalLong> written;
        try {
          written = writer.submit(actor,
              (view, liveness) -> TopologyTransitions.confirmDown(view, List.of(id)));
        } catch (RuntimeException e) {
          written = CompletableFuture.failedFuture(e); // the queue is full: this node only
        }
        outcomes.add(written.handle((version, error) -> outcome(id, seen, version, error)));
      }
      return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).thenApply(v -> {
        ConfirmDownResponse.Builder answer = ConfirmDownResponse.newBuilder()
            .setTopologyVersion(cache.state().topology().version());
        outcomes.forEach(o -> answer.addNodes(o.join()));
        answer.getNodesList().stream().mapToLong(ConfirmDownOutcome::getVersion).max()
            .ifPresent(newest -> answer.setTopologyVersion(
                Math.max(newest, answer.getTopologyVersion())));
        return answer.build();
      });
    });
  }

  private static ConfirmDownOutcome outcome(String id, Topology seen, OptionalLong version,
      Throwable error) {
    ConfirmDownOutcome.Builder outcome = ConfirmDownOutcome.newBuilder().setNodeId(id);
    if (error != null) {
      return outcome.setResult(ConfirmDownOutcome.Result.RESULT_FAILED)
          .setError(Completions.cause(error).getMessage()).build();
    }
    if (version.isPresent()) {
      return outcome.setResult(ConfirmDownOutcome.Result.RESULT_DOWN)
          .setVersion(version.getAsLong()).build();
    }
    return outcome.setResult(seen.node(id).isPresent()
        ? ConfirmDownOutcome.Result.RESULT_ALREADY_DOWN
        : ConfirmDownOutcome.Result.RESULT_UNKNOWN_NODE).build();
  }

  @Override
  public void drainNode(DrainNodeRequest request, StreamObserver<DrainNodeResponse> observer) {
    StatusMapper.respondAsync("DrainNode", observer, () -> {
      authorizer.requireOperator();
      RequestValidator.drain(request);
      return writer.submit(ClientIdentity.current().actor(),
          (view, liveness) -> TopologyTransitions.drain(view, liveness, request.getNodeId()))
          .thenApply(version -> DrainNodeResponse.newBuilder().setTopologyVersion(version)
              .build());
    });
  }

  @Override
  public void getHistory(GetHistoryRequest request, StreamObserver<GetHistoryResponse> observer) {
    StatusMapper.respondAsync("GetHistory", observer, () -> {
      authorizer.requireOperator();
      RequestValidator.history(request);
      int limit = request.getLimit() == 0 ? DEFAULT_HISTORY : request.getLimit();
      long since = request.getSinceVersion();
      long current = cache.state().topology().version();
      // One change per version: a forward page of all nodes reads only its own versions, unless
      // it starts before what is retained (then it reads on to the first retained ones).
      long page = request.getOldestFirst() && request.getNodeId().isEmpty()
          ? Math.min(current, since + limit) : current;
      // ... and the newest page of all nodes only the newest versions, not all that is retained.
      long from = !request.getOldestFirst() && request.getNodeId().isEmpty()
          ? Math.max(since, current - limit) : since;
      return CompletableFuture.supplyAsync(() -> {
        List<RecordedChange> changes = store.changes(from, page);
        if (changes.isEmpty() && page < current) {
          changes = store.changes(since, current);
        }
        GetHistoryResponse answer = ChangeHistory.answer(changes, request.getNodeId(), limit,
            request.getOldestFirst());
        return withDetectorEvents(answer, request.getNodeId().isEmpty(),
            !request.getOldestFirst() || page >= current);
      }, blocking);
    });
  }

  /**
   * The detector events in the answer's time span: from its first change (or the oldest
   * retained, or ever) to its last change, or to now when {@code toNow} (the page ends at the
   * newest change), and how far back the history goes. Only for all nodes' history.
   */
  private GetHistoryResponse withDetectorEvents(GetHistoryResponse answer, boolean allNodes,
      boolean toNow) {
    GetHistoryResponse.Builder with = answer.toBuilder();
    List<EtcdAdminStore.ChangeTime> oldest = store.oldestChanges(1);
    if (!oldest.isEmpty()) {
      with.setOldestRetainedVersion(oldest.get(0).version()).setOldestRetainedAt(
          oldest.get(0).atMs());
    }
    if (!allNodes) {
      return with.build();
    }
    long from = answer.getChangesCount() > 0 && answer.getChanges(0).getAt() > 0
        ? answer.getChanges(0).getAt() : with.getOldestRetainedAt();
    long to = toNow || answer.getChangesCount() == 0 ? clock.millis() + 1
        : answer.getChanges(answer.getChangesCount() - 1).getAt() + 1;
    store.detectorEvents(from, to).forEach(e -> with.addDetectorEvents(DetectorEvents.toProto(e)));
    return with.build();
  }

  private DetectorState state(Optional<DetectorPauseRecord> pause) {
    Topology topology = cache.state().topology();
    ZoneProtection.State protection = detector.protection();
    long nowMs = clock.millis();
    DetectorState.Builder state = DetectorState.newBuilder()
        .setLeaderId(leadership.leader().map(Leadership.LeaderInfo::replicaId).orElse(""))
        .setDownPausedUntil(protection.paused(nowMs) ? protection.pausedUntilMs() : 0)
        .setSuspectNodes(topology.count(NodeState.NODE_STATE_SUSPECT))
        .setDownNodes(topology.count(NodeState.NODE_STATE_DOWN))
        .setTopologyVersion(topology.version());
    pause.ifPresent(p -> state.setPaused(true).setPausedBy(p.getBy())
        .setPauseReason(p.getReason()).setPausedAt(p.getAt()));
    return state.addAllProtectedZones(protection.toProto()).build();
  }
}
