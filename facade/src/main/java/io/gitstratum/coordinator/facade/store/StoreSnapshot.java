package io.gitstratum.coordinator.facade.store;

import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import io.gitstratum.coordinator.client.topology.Topology;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The topology as etcd held it at one revision.
 *
 * @param alive node id → lease of its {@code P/alive/} key
 * @param grace node id → lease of its {@code P/grace/} key
 * @param drained node ids with a {@code P/drained/} key
 * @param revision the etcd revision of the read; a watch continues from {@code revision + 1}
 * @param versionModRevision the mod revision of the version key (0 when it does not exist yet);
 *     every topology change compares it
 * @param detectorPause an operator's pause of SUSPECT→DOWN ({@code P/detector/pause}), if any
 */
public record StoreSnapshot(Topology topology, Map<String, Long> alive, Map<String, Long> grace,
    Set<String> drained, long revision, long versionModRevision, long raftTerm,
    Optional<DetectorPauseRecord> detectorPause) {
  public StoreSnapshot {
    alive = Map.copyOf(alive);
    grace = Map.copyOf(grace);
    drained = Set.copyOf(drained);
  }

  /** A snapshot without an operator's pause. */
  public StoreSnapshot(Topology topology, Map<String, Long> alive, Map<String, Long> grace,
      long revision, long versionModRevision, long raftTerm) {
    this(topology, alive, grace, Set.of(), revision, versionModRevision, raftTerm,
        Optional.empty());
  }
}
