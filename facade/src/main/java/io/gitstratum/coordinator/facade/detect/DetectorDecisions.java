package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the failure detector decides about one node when it looks at it (pure, time passed in):
 * SUSPECT once its lease has lapsed for the flap damper's extra delay, DOWN once its grace key
 * is gone, unless an operator paused DOWN, zone protection holds it back, or more than
 * {@code downPerSecond} went DOWN in the current second. A node with a decision on its way to
 * etcd gets no second one until {@link #written} says how it ended. Nodes held back are
 * remembered, so a scan can look at only them ({@link #waiting}).
 *
 * <p>Not thread-safe: owned by the detector's thread. A new leader starts from what etcd
 * recorded of the detectors before it ({@link #recall}, {@link DetectorMemory}).
 */
final class DetectorDecisions {
  enum Kind { SUSPECT, DOWN }

  record Decision(Kind kind, String nodeId) {}

  private final FlapDamper flaps;
  private final ZoneProtection zones;
  private final int downPerSecond;

  private final Map<String, Long> lapsedSince = new HashMap<>();
  private final Set<String> awaitingDown = new HashSet<>();
  private final Set<String> deciding = new HashSet<>();
  private long downSecond = Long.MIN_VALUE;
  private int downsThisSecond;

  DetectorDecisions(FlapDamper flaps, ZoneProtection zones, int downPerSecond) {
    this.flaps = flaps;
    this.zones = zones;
    this.downPerSecond = downPerSecond;
  }

  /**
   * The decision about {@code node} at {@code nowMs}, if one is due; a decision returned is in
   * flight until {@link #written}.
   *
   * @param downPaused whether an operator has paused SUSPECT→DOWN
   */
  Optional<Decision> look(NodeInfo node, LivenessView liveness, boolean downPaused, long nowMs) {
    String id = node.getId();
    if (deciding.contains(id)) {
      return Optional.empty(); // the next look sees the outcome of the one being committed
    }
    if (TopologyTransitions.LIVE.contains(node.getState()) && !liveness.hasAlive(id)) {
      long since = lapsedSince.computeIfAbsent(id, k -> nowMs);
      if (nowMs - since >= flaps.extraDelayMs(id, nowMs)) {
        lapsedSince.remove(id);
        return inFlight(Kind.SUSPECT, id);
      }
      return Optional.empty();
    }
    lapsedSince.remove(id);
    if (node.getState() != NodeState.NODE_STATE_SUSPECT || liveness.hasGrace(id)) {
      awaitingDown.remove(id);
      return Optional.empty();
    }
    String zone = zones.zoneOf(node);
    if (downPaused || !zones.allows(zone, nowMs) || !downPermitted(nowMs)) {
      awaitingDown.add(id); // the next scan looks again
      return Optional.empty();
    }
    zones.wentDown(zone, nowMs);
    awaitingDown.remove(id);
    return inFlight(Kind.DOWN, id);
  }

  /**
   * A decision's write ended: {@code committed} when etcd took it (a SUSPECT counts towards flap
   * damping then); otherwise the node may be decided again at the next look.
   */
  void written(Decision decision, boolean committed, long nowMs) {
    deciding.remove(decision.nodeId());
    if (committed && decision.kind() == Kind.SUSPECT) {
      flaps.suspected(decision.nodeId(), nowMs);
    }
  }

  /** The decision could not even be submitted: nothing is in flight. */
  void dropped(Decision decision) {
    deciding.remove(decision.nodeId());
  }

  /** Nodes held back: lapsed leases waiting for their delay, SUSPECT nodes waiting for DOWN. */
  Set<String> waiting() {
    Set<String> waiting = new HashSet<>(lapsedSince.keySet());
    waiting.addAll(awaitingDown);
    return waiting;
  }

  /** Forgets the nodes that are gone from the topology. */
  void forget(Predicate<String> gone) {
    lapsedSince.keySet().removeIf(gone);
    awaitingDown.removeIf(gone);
  }

  /**
   * This replica starts leading: it goes on from what the detectors before it decided (flap
   * damping, the DOWN rate of the current second, each zone's slow rate and the pause).
   */
  void recall(DetectorMemory memory, long nowMs) {
    memory.suspicions().forEach(s -> flaps.suspected(s.nodeId(), s.atMs()));
    downSecond = Math.floorDiv(nowMs, 1000);
    downsThisSecond = memory.downsThisSecond();
    zones.recall(memory.lastDownByZone(), memory.pausedSinceMs());
  }

  /** This replica no longer leads: everything starts afresh when it leads again. */
  void clear() {
    lapsedSince.clear();
    awaitingDown.clear();
    flaps.clear();
  }

  private Optional<Decision> inFlight(Kind kind, String id) {
    deciding.add(id);
    return Optional.of(new Decision(kind, id));
  }

  /** At most {@code downPerSecond} DOWN decisions in each second of the clock. */
  private boolean downPermitted(long nowMs) {
    long second = Math.floorDiv(nowMs, 1000);
    if (second != downSecond) {
      downSecond = second;
      downsThisSecond = 0;
    }
    if (downsThisSecond >= downPerSecond) {
      return false;
    }
    downsThisSecond++;
    return true;
  }
}
