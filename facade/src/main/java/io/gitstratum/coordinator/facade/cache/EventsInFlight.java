package io.gitstratum.coordinator.facade.cache;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gitstratum.coordinator.facade.store.WrittenEvent;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change events this replica is committing, each with the change it encodes. The watch
 * usually brings a commit back before the writer has applied it, and parsing its JSON again was
 * a tenth of a registration storm's CPU: an event whose key and bytes are the ones written here
 * is the change written here, whoever committed it, so it is taken as it is. Bytes that differ
 * (another replica won the version) are parsed. A commit that never lands leaves its events
 * behind until the watch meets their keys or the memo fills up and starts again. Thread-safe.
 */
final class EventsInFlight {
  /** Events remembered at most (a few batches' worth); past it the memo starts again. */
  static final int MAX = 4_096;

  private final Map<String, WrittenEvent> byKey = new ConcurrentHashMap<>();

  void expect(List<WrittenEvent> events) {
    if (byKey.size() + events.size() > MAX) {
      byKey.clear();
    }
    for (WrittenEvent event : events) {
      byKey.put(event.key(), event);
    }
  }

  /** The change event at {@code key}: the one written here if its bytes are these, else parsed. */
  TopologyUpdate decode(String key, byte[] value) {
    WrittenEvent written = byKey.remove(key);
    if (written != null && Arrays.equals(written.value(), value)) {
      return compact(written.update());
    }
    return RecordCodec.decodeUpdate(key, value);
  }

  /**
   * The change as a parse would have left it: printing it as JSON made its labels keep a list
   * form beside the map form, which a cached node would carry for good. A binary round trip is
   * a small part of a JSON parse.
   */
  private static TopologyUpdate compact(TopologyUpdate update) {
    try {
      return TopologyUpdate.parseFrom(update.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a change this replica encoded does not parse", e);
    }
  }

  /** The event at {@code key} arrived another way (the writer applied its own commit). */
  void forget(String key) {
    byKey.remove(key);
  }

  int size() {
    return byKey.size();
  }
}
