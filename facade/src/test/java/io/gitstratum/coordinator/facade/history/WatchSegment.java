package io.gitstratum.coordinator.facade.history;

import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;

/**
 * One WatchTopology stream of a watcher, from its request to its end (a killed replica, the end
 * of the run): every message it received. A watcher's next segment resumes on some replica with
 * the last version this one delivered.
 */
public record WatchSegment(String watcher, String replica, long sinceVersion,
    List<TopologyUpdate> received) {
  public WatchSegment {
    received = List.copyOf(received);
  }
}
