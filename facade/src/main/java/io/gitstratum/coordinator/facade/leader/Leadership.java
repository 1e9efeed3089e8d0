package io.gitstratum.coordinator.facade.leader;

import java.util.Optional;

/**
 * Which facade replica holds the detector election. Every replica serves every RPC; the leader
 * only runs the failure detector and is what GetLeader and HealthCheck report.
 */
public interface Leadership {
  /** The current leader, if one is known. */
  Optional<LeaderInfo> leader();

  /** Whether this replica is the leader. */
  boolean isLeader();

  /** A replica, as other replicas and clients know it. */
  record LeaderInfo(String replicaId, String address) {}
}
