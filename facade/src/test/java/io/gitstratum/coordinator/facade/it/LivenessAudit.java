package io.gitstratum.coordinator.facade.it;

import io.gitstratum.coordinator.facade.it.EventLogWatch.Stamped;
import io.gitstratum.coordinator.facade.it.FailoverHeartbeater.Success;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Judges every SUSPECT and DOWN marking in a stamped event log against what the test nodes did
 * ({@link FailoverHeartbeater}), and names each marking a live node did not deserve:
 *
 * <ul>
 *   <li>SUSPECT or DOWN while the node was heartbeating (from its start to its stop);
 *   <li>SUSPECT before the lease of its last successful heartbeat could have run out (sent time
 *       plus the suspect timeout: etcd renewed the lease after the request left);
 *   <li>SUSPECT before the alive key of its registration could have run out (the registration's
 *       arrival plus the suspect timeout less one second: README says a pooled lease is attached
 *       within 1 s of its grant); an earlier end means the key was revoked, not expired;
 *   <li>DOWN not preceded by SUSPECT, or sooner after it than down - suspect (the grace period).
 * </ul>
 *
 * <p>All times are arrival times at a direct etcd watch, so a tolerance covers its delivery.
 */
final class LivenessAudit {
  private static final Duration TOLERANCE = Duration.ofMillis(250);
  private static final Duration POOLED_LEASE_AGE = Duration.ofSeconds(1);

  private final Duration suspect;
  private final Duration down;
  private final long originNanos;

  /** {@code originNanos} is the moment times are printed relative to (the fault's start). */
  LivenessAudit(Duration suspect, Duration down, long originNanos) {
    this.suspect = suspect;
    this.down = down;
    this.originNanos = originNanos;
  }

  /** Every SUSPECT and DOWN marking, one line each, for the report. */
  List<String> markings(List<Stamped> events) {
    List<String> lines = new ArrayList<>();
    for (Stamped event : events) {
      TopologyUpdate u = event.update();
      if (u.hasNodeUpdated() && isFailure(u.getNodeUpdated().getState())) {
        lines.add(describe(event));
      }
    }
    return lines;
  }

  /** The markings no node deserved, each with the reason; empty when all were earned. */
  List<String> violations(List<Stamped> events, FailoverHeartbeater beats) {
    List<String> violations = new ArrayList<>();
    Map<String, Long> registeredAt = new HashMap<>();
    Map<String, Stamped> lastUpdate = new HashMap<>();
    for (Stamped event : events) {
      TopologyUpdate u = event.update();
      long at = event.arrivedNanos();
      if (u.hasNodeAdded()) {
        registeredAt.put(u.getNodeAdded().getId(), at);
        lastUpdate.put(u.getNodeAdded().getId(), event);
        continue;
      }
      if (!u.hasNodeUpdated()) {
        continue;
      }
      NodeInfo node = u.getNodeUpdated();
      String id = node.getId();
      Stamped previous = lastUpdate.put(id, event);
      if (!isFailure(node.getState())) {
        continue;
      }
      if (beats.heartbeatingAt(id, at)) {
        violations.add(describe(event) + ": the node was heartbeating");
      }
      if (node.getState() == NodeState.NODE_STATE_SUSPECT) {
        Optional<Success> beat = beats.lastSentSuccessBefore(id, at);
        if (beat.isPresent() && at < beat.get().sentNanos() + suspect.minus(TOLERANCE).toNanos()) {
          violations.add(describe(event) + ": its heartbeat sent at "
              + seconds(beat.get().sentNanos()) + " was answered OK by replica-"
              + beat.get().replica() + " at " + seconds(beat.get().answeredNanos())
              + ", so its lease ran until " + seconds(beat.get().sentNanos() + suspect.toNanos())
              + " at the earliest");
        }
        Long registered = registeredAt.get(id);
        long keyLife = suspect.minus(POOLED_LEASE_AGE).minus(TOLERANCE).toNanos();
        if (registered != null && at < registered + keyLife) {
          violations.add(describe(event) + ": registered at " + seconds(registered)
              + ", its alive key was gone before its lease could expire");
        }
      } else {
        boolean afterSuspect = previous != null && previous.update().hasNodeUpdated()
            && previous.update().getNodeUpdated().getState() == NodeState.NODE_STATE_SUSPECT;
        if (!afterSuspect) {
          violations.add(describe(event) + ": DOWN without SUSPECT before it");
        } else if (at - previous.arrivedNanos() < down.minus(suspect).minus(TOLERANCE)
            .toNanos()) {
          violations.add(describe(event) + ": DOWN " + Duration.ofNanos(at
              - previous.arrivedNanos()).toMillis() + " ms after SUSPECT, grace is "
              + down.minus(suspect).toMillis() + " ms");
        }
      }
    }
    return violations;
  }

  private static boolean isFailure(NodeState state) {
    return state == NodeState.NODE_STATE_SUSPECT || state == NodeState.NODE_STATE_DOWN;
  }

  private String describe(Stamped event) {
    NodeInfo node = event.update().getNodeUpdated();
    return node.getId() + " " + node.getState() + " v" + event.update().getVersion() + " at "
        + seconds(event.arrivedNanos());
  }

  /** Seconds since the origin, e.g. {@code +3.217s}. */
  String seconds(long nanos) {
    return String.format("%+.3fs", (nanos - originNanos) / 1e9);
  }
}
