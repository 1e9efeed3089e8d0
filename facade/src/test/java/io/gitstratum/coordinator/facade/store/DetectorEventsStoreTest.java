package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.detect.DetectorEvents;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.DetectorEventKind;
import io.gitstratum.coordinator.schema.records.DetectorEventRecord;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * P/detector/events/ in a real etcd: a pause and its event in one transaction, a resume of
 * nothing writes nothing, events read back by time (two of one millisecond both kept), and
 * trimmed by time.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DetectorEventsStoreTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void pauseResumeAndProtectionEventsAreKeptByTimeAndTrimmedByTime() throws Exception {
    Keyspace keys = Keyspace.of(Keyspace.DEFAULT_ROOT, "detector-events");
    try (Client client = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
      EtcdAdminStore store = new EtcdAdminStore(client, keys,
          FacadeConfig.defaults(etcd.endpoints()).etcd(), new FacadeMetrics());
      store.pause(DetectorPauseRecord.newBuilder().setBy("operator:alice").setReason("rack 4")
          .setAt(1_000).build(), event(DetectorEventKind.DETECTOR_EVENT_PAUSED, 1_000, ""));
      assertTrue(store.resume(event(DetectorEventKind.DETECTOR_EVENT_RESUMED, 2_000, "")));
      assertFalse(store.resume(event(DetectorEventKind.DETECTOR_EVENT_RESUMED, 2_500, "")),
          "nothing paused: nothing to resume, nothing recorded");
      long won = client.getKVClient().put(ByteSequence.from(keys.detectorElection(),
          StandardCharsets.UTF_8), ByteSequence.EMPTY).get(5, TimeUnit.SECONDS).getHeader()
          .getRevision();
      assertTrue(store.record(event(DetectorEventKind.DETECTOR_EVENT_ZONE_PROTECTED, 3_000,
          "eu-1a"), won));
      assertTrue(store.record(event(DetectorEventKind.DETECTOR_EVENT_ZONE_PROTECTED, 3_000,
          "eu-1b"), won));
      assertFalse(store.record(event(DetectorEventKind.DETECTOR_EVENT_ZONE_PROTECTED, 3_000,
          "eu-1c"), won - 1), "a deposed detector's event is refused, not written");

      List<DetectorEventRecord> all = store.detectorEvents(0, 10_000);
      assertEquals(List.of(DetectorEventKind.DETECTOR_EVENT_PAUSED,
          DetectorEventKind.DETECTOR_EVENT_RESUMED, DetectorEventKind.DETECTOR_EVENT_ZONE_PROTECTED,
          DetectorEventKind.DETECTOR_EVENT_ZONE_PROTECTED),
          all.stream().map(DetectorEventRecord::getKind).toList());
      assertEquals("rack 4", all.get(0).getReason());
      assertEquals(3, store.detectorEvents(2_000, 3_001).size(), "from 2000 up to 3000");

      store.trimDetectorEventsBefore(3_000);
      assertEquals(List.of(3_000L, 3_000L), store.detectorEvents(0, 10_000).stream()
          .map(DetectorEventRecord::getAt).toList(), "older than the cutoff trimmed");
    }
  }

  private static DetectorEventRecord event(DetectorEventKind kind, long at, String zone) {
    return DetectorEvents.record(kind, "operator:alice", kind == DetectorEventKind
        .DETECTOR_EVENT_PAUSED ? "rack 4" : "", at, zone);
  }
}
