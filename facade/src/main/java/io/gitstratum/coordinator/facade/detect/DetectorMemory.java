package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.facade.store.EtcdAdminStore.RecordedChange;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.schema.records.DetectorEventKind;
import io.gitstratum.coordinator.schema.records.DetectorEventRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * What a replica that takes over the failure detector carries over from the detectors before it
 * (pure, time passed in), rebuilt from etcd's records rather than started afresh: otherwise a
 * leadership change would reset the DOWN-rate budget, the per-zone slow rate and flap damping,
 * and a flapping cluster could lose more nodes per second than {@code --down-rate} allows just
 * because its detector moved. From the change history: each node's SUSPECT decisions within the
 * flap window, each zone's last DOWN decision within the slow interval, and the DOWN decisions
 * of the current second. From the detector events: since when SUSPECT→DOWN has been paused for
 * every zone, when that pause has not ended by a zone recovering.
 *
 * @param suspicions the detectors' SUSPECT decisions within the flap window, oldest first
 * @param lastDownByZone per zone, when a detector last decided a node of it DOWN (within the
 *     slow interval)
 * @param downsThisSecond DOWN decisions in the clock second of {@code nowMs}
 * @param pausedSinceMs when the every-zone pause the detectors recorded last began, if it has not
 *     ended since
 */
record DetectorMemory(List<Suspicion> suspicions, Map<String, Long> lastDownByZone,
    int downsThisSecond, OptionalLong pausedSinceMs) {
  static final DetectorMemory NONE = new DetectorMemory(List.of(), Map.of(), 0,
      OptionalLong.empty());

  record Suspicion(String nodeId, long atMs) {}

  DetectorMemory {
    suspicions = List.copyOf(suspicions);
    lastDownByZone = Map.copyOf(lastDownByZone);
  }

  /**
   * @param changes recent changes as etcd keeps them, any order
   * @param events the detector events of the last pause limit, any order
   * @param zoneOf the zone of a node record
   * @param flapWindowMs how far back suspicions count
   * @param slowIntervalMs how far back a zone's last DOWN matters
   */
  static DetectorMemory rebuild(List<RecordedChange> changes, List<DetectorEventRecord> events,
      Function<NodeInfo, String> zoneOf, long nowMs, long flapWindowMs, long slowIntervalMs) {
    List<Suspicion> suspicions = new ArrayList<>();
    Map<String, Long> lastDown = new HashMap<>();
    long second = Math.floorDiv(nowMs, 1000) * 1000;
    int downs = 0;
    for (RecordedChange change : changes) {
      if (!change.update().hasNodeUpdated() || change.why().isEmpty()) {
        continue;
      }
      NodeInfo node = change.update().getNodeUpdated();
      ChangeRecord why = change.why().get();
      long at = why.getAt();
      if (at > nowMs) {
        continue; // another replica's clock ahead of this one: not "before now" here
      }
      if (why.getReason() == ChangeReason.CHANGE_REASON_LEASE_EXPIRED
          && node.getState() == NodeState.NODE_STATE_SUSPECT && nowMs - at <= flapWindowMs) {
        suspicions.add(new Suspicion(node.getId(), at));
      } else if (why.getReason() == ChangeReason.CHANGE_REASON_GRACE_EXPIRED
          && node.getState() == NodeState.NODE_STATE_DOWN) {
        if (nowMs - at < slowIntervalMs) {
          lastDown.merge(zoneOf.apply(node), at, Math::max);
        }
        if (at >= second) {
          downs++;
        }
      }
    }
    suspicions.sort(Comparator.comparingLong(Suspicion::atMs));
    return new DetectorMemory(suspicions, lastDown, downs, pausedSince(events, nowMs));
  }

  /** The last every-zone pause recorded, unless a zone stopped being disrupted after it began. */
  private static OptionalLong pausedSince(List<DetectorEventRecord> events, long nowMs) {
    long paused = -1;
    long recovered = -1;
    for (DetectorEventRecord event : events) {
      if (event.getAt() > nowMs) {
        continue;
      }
      if (event.getKind() == DetectorEventKind.DETECTOR_EVENT_DOWN_PAUSED) {
        paused = Math.max(paused, event.getAt());
      } else if (event.getKind() == DetectorEventKind.DETECTOR_EVENT_ZONE_UNPROTECTED) {
        recovered = Math.max(recovered, event.getAt());
      }
    }
    return paused >= 0 && recovered < paused ? OptionalLong.of(paused) : OptionalLong.empty();
  }
}
