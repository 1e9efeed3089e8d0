package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.admin.DetectorEvent;
import io.gitstratum.coordinator.schema.records.DetectorEventKind;
import io.gitstratum.coordinator.schema.records.DetectorEventRecord;
import java.util.Locale;

/**
 * The failure detector's events as etcd keeps them ({@code P/detector/events/}) and as GetHistory
 * answers them (pure): pause, resume, zone protection starting and ending.
 */
public final class DetectorEvents {
  private DetectorEvents() {}

  public static DetectorEventRecord record(DetectorEventKind kind, String actor, String reason,
      long atMs, String zone) {
    return DetectorEventRecord.newBuilder().setKind(kind).setActor(actor).setReason(reason)
        .setAt(atMs).setZone(zone).build();
  }

  /** {@code DETECTOR_EVENT_ZONE_PROTECTED} reads "zone protected". */
  public static DetectorEvent toProto(DetectorEventRecord record) {
    return DetectorEvent.newBuilder().setAt(record.getAt())
        .setKind(record.getKind().name().replaceFirst("^DETECTOR_EVENT_", "").replace('_', ' ')
            .toLowerCase(Locale.ROOT))
        .setActor(record.getActor()).setReason(record.getReason()).setZone(record.getZone())
        .build();
  }
}
