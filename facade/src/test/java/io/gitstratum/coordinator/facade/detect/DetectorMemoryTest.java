package io.gitstratum.coordinator.facade.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.facade.detect.DetectorMemory.Suspicion;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore.RecordedChange;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.schema.records.DetectorEventKind;
import io.gitstratum.coordinator.schema.records.DetectorEventRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What a new detector leader rebuilds from etcd's records (pure). */
class DetectorMemoryTest {
  private static final long NOW = 10_000_500; // half a second into its clock second
  private static final long WINDOW = 600_000;
  private static final long SLOW = 60_000;

  private static RecordedChange change(String id, String zone, NodeState state,
      ChangeReason reason, long atMs) {
    NodeInfo node = NodeInfo.newBuilder().setId(id).setState(state).putLabels("zone", zone)
        .build();
    return new RecordedChange(TopologyUpdate.newBuilder().setNodeUpdated(node).build(),
        Optional.of(ChangeRecord.newBuilder().setReason(reason).setActor("detector:r0")
            .setAt(atMs).build()));
  }

  private static RecordedChange suspected(String id, long atMs) {
    return change(id, "a", NodeState.NODE_STATE_SUSPECT, ChangeReason.CHANGE_REASON_LEASE_EXPIRED,
        atMs);
  }

  private static RecordedChange down(String id, String zone, long atMs) {
    return change(id, zone, NodeState.NODE_STATE_DOWN, ChangeReason.CHANGE_REASON_GRACE_EXPIRED,
        atMs);
  }

  private static DetectorEventRecord event(DetectorEventKind kind, long atMs) {
    return DetectorEvents.record(kind, "detector:r0", "", atMs, "a");
  }

  private static DetectorMemory rebuild(List<RecordedChange> changes,
      List<DetectorEventRecord> events) {
    return DetectorMemory.rebuild(changes, events, n -> n.getLabelsOrDefault("zone", ""), NOW,
        WINDOW, SLOW);
  }

  @Test
  void nothingRecordedIsNothingRemembered() {
    assertEquals(DetectorMemory.NONE, rebuild(List.of(), List.of()));
  }

  @Test
  void suspicionsWithinTheFlapWindowOldestFirst() {
    DetectorMemory memory = rebuild(List.of(suspected("n", NOW - 1_000),
        suspected("m", NOW - 5_000), suspected("n", NOW - WINDOW - 1),
        // SUSPECT written by an operator's or a heartbeat's change is no decision of a detector
        change("k", "a", NodeState.NODE_STATE_SUSPECT,
            ChangeReason.CHANGE_REASON_HEARTBEAT_REPORTED, NOW - 10)), List.of());
    assertEquals(List.of(new Suspicion("m", NOW - 5_000), new Suspicion("n", NOW - 1_000)),
        memory.suspicions());
  }

  @Test
  void eachZonesLastDownWithinTheSlowIntervalAndTheDownsOfThisSecond() {
    DetectorMemory memory = rebuild(List.of(down("a1", "a", NOW - 30_000),
        down("a2", "a", NOW - 2_000), down("b1", "b", NOW - SLOW - 1),
        down("c1", "c", NOW - 400), down("c2", "c", NOW - 100),
        // confirmed DOWN by an operator: not a detector decision, counts for no rate
        change("c3", "c", NodeState.NODE_STATE_DOWN,
            ChangeReason.CHANGE_REASON_CONFIRMED_DOWN_BY_OPERATOR, NOW - 50)), List.of());
    assertEquals(Map.of("a", NOW - 2_000, "c", NOW - 100), memory.lastDownByZone());
    assertEquals(2, memory.downsThisSecond(), "c1 and c2, in the second of now");
  }

  @Test
  void theLastPauseUnlessAZoneRecoveredAfterIt() {
    assertEquals(OptionalLong.of(NOW - 2_000), rebuild(List.of(), List.of(
        event(DetectorEventKind.DETECTOR_EVENT_DOWN_PAUSED, NOW - 9_000),
        event(DetectorEventKind.DETECTOR_EVENT_ZONE_UNPROTECTED, NOW - 5_000),
        event(DetectorEventKind.DETECTOR_EVENT_DOWN_PAUSED, NOW - 2_000))).pausedSinceMs());
    assertEquals(OptionalLong.empty(), rebuild(List.of(), List.of(
        event(DetectorEventKind.DETECTOR_EVENT_DOWN_PAUSED, NOW - 9_000),
        event(DetectorEventKind.DETECTOR_EVENT_ZONE_UNPROTECTED, NOW - 5_000))).pausedSinceMs());
  }

  @Test
  void recordsFromAClockAheadOfThisOneAreLeftOut() {
    DetectorMemory memory = rebuild(List.of(suspected("n", NOW + 1_000),
        down("a1", "a", NOW + 100)), List.of(
        event(DetectorEventKind.DETECTOR_EVENT_DOWN_PAUSED, NOW + 10)));
    assertEquals(DetectorMemory.NONE, memory);
  }
}
