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

  /**
   * While this replica leads, the create revision of its election key: the fence its detector
   * decisions compare in etcd ({@code LivenessGuard.ElectionHeld}); 0 while it does not lead.
   */
  long tenure();

  /**
   * etcd refused a decision made under {@code tenure}: the election key is no longer this
   * replica's. It stops leading at once, without waiting for its next election tick.
   */
  void deposed(long tenure);

  /** A replica, as other replicas and clients know it. */
  record LeaderInfo(String replicaId, String address) {}
}
