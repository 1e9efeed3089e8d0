package io.gitstratum.coordinator.client.failover;

import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.ConfirmDownResponse;
import io.gitstratum.coordinator.admin.DetectorState;
import io.gitstratum.coordinator.admin.DrainNodeRequest;
import io.gitstratum.coordinator.admin.DrainNodeResponse;
import io.gitstratum.coordinator.admin.GetDetectorStateRequest;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.GetHistoryResponse;
import io.gitstratum.coordinator.admin.PauseDetectorRequest;
import io.gitstratum.coordinator.admin.ResumeDetectorRequest;
import java.util.List;
import java.util.Objects;

/**
 * The admin service ({@code gitstratum.admin.CoordinatorAdmin}, admin.proto) over a
 * {@link CoordinatorClient}: its endpoints, channels and TLS identity, per-attempt deadline,
 * retries, failover and typed errors ({@code errors}). For operators' tools such as coordctl;
 * nodes never call it. Get one with {@link CoordinatorClient#admin()}.
 *
 * <p>With mutual TLS only an operator may call it: a client certificate with the SAN URI
 * {@code gitstratum://operator/<name>} and {@code <name>} listed in the facade's
 * {@code --operators}; anything else gets {@code PermissionDeniedException}. Without mutual TLS
 * anyone may. The facade records the caller as the actor of what it changes.
 *
 * <p>Every admin RPC is idempotent (a repeated pause writes the pause again, a repeated drain or
 * confirmation changes nothing), so retrying after UNAVAILABLE is safe. A node whose state does
 * not allow the action (ConfirmDown of a node that is not SUSPECT, DrainNode of a DOWN node)
 * fails with FAILED_PRECONDITION, reason {@code NODE_STATE} ({@code ZombieGenerationException},
 * the exception of that status code). Thread-safe; owns nothing, closing the client ends it.
 */
public final class AdminClient {
  private final CoordinatorClient client;

  AdminClient(CoordinatorClient client) {
    this.client = client;
  }

  /** GetDetectorState: what the failure detector does now, as the answering replica sees it. */
  public DetectorState getDetectorState() {
    return client.callAdmin(stub -> stub.getDetectorState(
        GetDetectorStateRequest.getDefaultInstance()));
  }

  /**
   * PauseDetector: holds SUSPECT→DOWN on every replica (nodes still turn SUSPECT) until
   * {@link #resumeDetector()}.
   *
   * @param reason free text recorded with the pause (at most the facade's limit)
   */
  public DetectorState pauseDetector(String reason) {
    PauseDetectorRequest request = PauseDetectorRequest.newBuilder()
        .setReason(Objects.requireNonNull(reason, "reason")).build();
    return client.callAdmin(stub -> stub.pauseDetector(request));
  }

  /** ResumeDetector: ends a pause (a no-op when there is none). */
  public DetectorState resumeDetector() {
    return client.callAdmin(stub -> stub.resumeDetector(
        ResumeDetectorRequest.getDefaultInstance()));
  }

  /**
   * ConfirmDown: writes these SUSPECT nodes DOWN now, without grace period, zone protection or
   * pause. Nodes already DOWN and unknown ids are skipped.
   *
   * @return the topology version after the change
   */
  public ConfirmDownResponse confirmDown(List<String> nodeIds) {
    ConfirmDownRequest request = ConfirmDownRequest.newBuilder().addAllNodeIds(nodeIds).build();
    return client.callAdmin(stub -> stub.confirmDown(request));
  }

  /**
   * DrainNode: marks a node DRAINING until it registers again (its own heartbeats do not undo
   * it); already DRAINING changes nothing. An unknown id fails with NOT_FOUND.
   */
  public DrainNodeResponse drainNode(String nodeId) {
    DrainNodeRequest request = DrainNodeRequest.newBuilder()
        .setNodeId(Objects.requireNonNull(nodeId, "nodeId")).build();
    return client.callAdmin(stub -> stub.drainNode(request));
  }

  /**
   * GetHistory: the retained changes with why and by whom, oldest first.
   *
   * @param nodeId only this node's changes; "" for all
   * @param sinceVersion changes after this version; 0 from the oldest retained
   * @param limit the newest this many matching changes; 0 for the facade's default (100)
   */
  public GetHistoryResponse getHistory(String nodeId, long sinceVersion, int limit) {
    return getHistory(GetHistoryRequest.newBuilder()
        .setNodeId(Objects.requireNonNullElse(nodeId, ""))
        .setSinceVersion(sinceVersion).setLimit(limit).build());
  }

  public GetHistoryResponse getHistory(GetHistoryRequest request) {
    return client.callAdmin(stub -> stub.getHistory(request));
  }
}
