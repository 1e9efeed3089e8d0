package io.gitstratum.coordinator.facade.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpdateBufferTest {
  private static TopologyUpdate removed(long version) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeRemoved("n" + version).build();
  }

  private static List<Long> versions(List<TopologyUpdate> updates) {
    return updates.stream().map(TopologyUpdate::getVersion).toList();
  }

  @Test
  void replaysWhatItStillHolds() {
    UpdateBuffer buffer = new UpdateBuffer(3);
    for (long v = 1; v <= 5; v++) {
      buffer.add(removed(v));
    }
    assertEquals(3, buffer.size());
    assertEquals(List.of(3L, 4L, 5L), versions(buffer.after(2).orElseThrow()));
    assertEquals(List.of(5L), versions(buffer.after(4).orElseThrow()));
    assertEquals(List.of(), buffer.after(5).orElseThrow());
    assertTrue(buffer.after(1).isEmpty(), "version 2 was evicted");
    assertTrue(buffer.after(6).isEmpty(), "a version it never saw");
  }

  @Test
  void aNonConsecutiveEventRestartsTheBuffer() {
    UpdateBuffer buffer = new UpdateBuffer(10);
    buffer.add(removed(1));
    buffer.add(removed(2));
    buffer.add(removed(7));
    assertTrue(buffer.after(2).isEmpty());
    assertEquals(List.of(7L), versions(buffer.after(6).orElseThrow()));
  }

  @Test
  void emptyBufferReplaysNothing() {
    UpdateBuffer buffer = new UpdateBuffer(10);
    assertTrue(buffer.after(0).isEmpty());
    buffer.add(removed(1));
    buffer.clear();
    assertTrue(buffer.after(0).isEmpty());
  }
}
