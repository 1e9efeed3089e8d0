package io.gitstratum.coordinator.facade.leader;

import java.util.Optional;

/** A replica that is always the leader: the facade before elections exist, and in-process tests. */
public final class SingleReplicaLeadership implements Leadership {
  private final LeaderInfo self;

  public SingleReplicaLeadership(String replicaId, String address) {
    this.self = new LeaderInfo(replicaId, address);
  }

  @Override
  public Optional<LeaderInfo> leader() {
    return Optional.of(self);
  }

  @Override
  public boolean isLeader() {
    return true;
  }
}
