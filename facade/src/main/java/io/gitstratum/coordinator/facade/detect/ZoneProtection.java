package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.ProtectedZone;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Mass-expiry protection judged per zone (pure, time passed in). When most live nodes of a zone
 * go SUSPECT together, a rack or a link is more likely down than each machine, and their
 * replicas should not all be written off at once: SUSPECT→DOWN in that zone slows to one node
 * per {@code protectedDownInterval}. Only when every zone is disrupted at once, which points at
 * the coordinator's own side (the facades, etcd, the network to them), does SUSPECT→DOWN pause
 * entirely, and then for at most {@code pauseLimit}, after which it resumes at the slow rate: a
 * permanent loss still ends in DOWN, so clients stop routing to the dead machines and
 * re-replication starts. This is Kubernetes' node lifecycle controller's policy rather than
 * Eureka's self-preservation, which stops forever.
 *
 * <p>A zone is a node's value of the {@code zoneLabel} label; nodes without it form one zone
 * (""). Live means JOINING, ACTIVE, DRAINING or SUSPECT; a zone with no live node counts for
 * nothing. A zone is disrupted while more than {@code share} of its live nodes, and at least
 * {@code minSuspects} of them, have lost their lease: SUSPECT, or with no alive key in etcd. What etcd says about the leases counts, not how many
 * SUSPECT records the detector has written yet, so protection starts with the storm: writing
 * thousands of SUSPECT records takes seconds, and no node of the zone may go DOWN meanwhile.
 * Every zone counts as disrupted (the pause) when each zone of at least {@code minSuspects} live
 * nodes is (with no such zone, the cluster is judged as one), and more than {@code share} of all
 * live nodes, at least {@code minSuspects}, have lost their lease: a small zone (one unlabelled
 * node, a rack of two) neither vetoes the pause nor causes it.
 *
 * <p>{@link #disrupted} is stateless and safe from any thread (every replica can tell). The rest
 * remembers since when: owned by the detector's thread, except {@link #state()}, which any
 * thread may read. Every replica observes, not only the detector's leader, so a replica that
 * takes over the detector goes on with the pause as it saw it start.
 */
public final class ZoneProtection {
  private static final Set<NodeState> LIVE = EnumSet.of(NodeState.NODE_STATE_JOINING,
      NodeState.NODE_STATE_ACTIVE, NodeState.NODE_STATE_DRAINING, NodeState.NODE_STATE_SUSPECT);

  /**
   * One disrupted zone: {@code suspect} of its {@code live} nodes have lost their lease;
   * {@code sinceMs} is when this replica first saw it so (-1: unknown).
   */
  public record Zone(String name, int live, int suspect, long sinceMs) {}

  /**
   * What the protection does now: the disrupted zones, and while every zone is disrupted, until
   * when SUSPECT→DOWN pauses ({@code pausedUntilMs}, 0 when not paused).
   */
  public record State(List<Zone> zones, long pausedUntilMs) {
    public static final State NONE = new State(List.of(), 0);

    public State {
      zones = List.copyOf(zones);
    }

    public boolean protecting() {
      return !zones.isEmpty();
    }

    public boolean paused(long nowMs) {
      return pausedUntilMs > nowMs;
    }

    /** The zones as HealthCheck and the admin service answer them. */
    public List<ProtectedZone> toProto() {
      return zones.stream().map(z -> ProtectedZone.newBuilder().setZone(z.name())
          .setLive(z.live()).setSuspect(z.suspect()).setSince(Math.max(0, z.sinceMs())).build())
          .toList();
    }
  }

  /**
   * How often a changing topology is judged again at most. A profile of a registration storm
   * had judging every 250 ms scan take 15 % of the replica's CPU at 20,000 nodes; DOWN
   * decisions come a grace period (at least 1 s) after SUSPECT, so half a second of staleness
   * costs no protection.
   */
  static final long JUDGE_EVERY_MS = 500;
  /**
   * Judging takes at most this share of the detector's thread: a judgement that took longer than
   * {@code JUDGE_EVERY_MS / JUDGE_SHARE_DIVISOR} (large topologies on a busy machine) spaces the
   * next one out by that many times its own length.
   */
  static final int JUDGE_SHARE_DIVISOR = 5;

  private final String zoneLabel;
  private final double share;
  private final int minSuspects;
  private final long pauseLimitMs;
  private final long protectedDownIntervalMs;

  // Detector thread only.
  private final Map<String, Long> disruptedSince = new HashMap<>();
  private final Map<String, Long> lastDownMs = new HashMap<>();
  private long allDisruptedSinceMs = -1;
  private long judgedVersion = -1;
  private long judgedStamp = -1;
  private long judgedAtMs = Long.MIN_VALUE / 2;
  private long judgeEveryMs = JUDGE_EVERY_MS;
  private List<Zone> judged = List.of();
  private boolean everyZoneJudged;

  private volatile State state = State.NONE;

  public ZoneProtection(String zoneLabel, double share, int minSuspects, long pauseLimitMs,
      long protectedDownIntervalMs) {
    this.zoneLabel = zoneLabel;
    this.share = share;
    this.minSuspects = minSuspects;
    this.pauseLimitMs = pauseLimitMs;
    this.protectedDownIntervalMs = protectedDownIntervalMs;
  }

  /** A zone's name for people: the unlabelled zone is "(no zone)". */
  public static String display(String zone) {
    return zone.isEmpty() ? "(no zone)" : zone;
  }

  public String zoneOf(NodeInfo node) {
    return node.getLabelsOrDefault(zoneLabel, "");
  }

  /** The disrupted zones of {@code topology}, by name, without memory ({@code sinceMs} -1). */
  public List<Zone> disrupted(Topology topology, LivenessView liveness) {
    return judge(topology, liveness).disrupted;
  }

  /** The state as last observed. */
  public State state() {
    return state;
  }

  /**
   * Judges {@code topology} and its leases at {@code nowMs}, remembering since when each zone is
   * disrupted.
   *
   * @param livenessStamp changes whenever a liveness key did: an unchanged version and stamp are
   *     not judged again, and a changed one at most every {@link #JUDGE_EVERY_MS} (or five times
   *     as long as the last judgement took, if longer): judging counts every node, and during a
   *     storm both change with every batch
   */
  public State observe(Topology topology, LivenessView liveness, long livenessStamp,
      long nowMs) {
    boolean changed = topology.version() != judgedVersion || livenessStamp != judgedStamp;
    if (changed && nowMs - judgedAtMs >= judgeEveryMs) {
      long started = System.nanoTime();
      Judgement j = judge(topology, liveness);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      judgeEveryMs = Math.max(JUDGE_EVERY_MS, JUDGE_SHARE_DIVISOR * tookMs);
      judgedVersion = topology.version();
      judgedStamp = livenessStamp;
      judgedAtMs = nowMs;
      judged = j.disrupted;
      everyZoneJudged = j.everyZone;
    }
    List<Zone> zones = new ArrayList<>(judged.size());
    Map<String, Long> since = new HashMap<>();
    for (Zone zone : judged) {
      long first = disruptedSince.getOrDefault(zone.name(), nowMs);
      since.put(zone.name(), first);
      zones.add(new Zone(zone.name(), zone.live(), zone.suspect(), first));
    }
    disruptedSince.clear();
    disruptedSince.putAll(since);
    lastDownMs.keySet().retainAll(since.keySet());
    boolean everyZone = everyZoneJudged;
    if (!everyZone) {
      allDisruptedSinceMs = -1;
    } else if (allDisruptedSinceMs < 0) {
      allDisruptedSinceMs = nowMs;
    }
    State next = new State(zones, everyZone ? allDisruptedSinceMs + pauseLimitMs : 0);
    state = next;
    return next;
  }

  /**
   * Whether a SUSPECT node of {@code zone} whose grace period is over may go DOWN at
   * {@code nowMs}, as of the last {@link #observe}. Call {@link #wentDown} when it does.
   */
  public boolean allows(String zone, long nowMs) {
    if (!disruptedSince.containsKey(zone)) {
      return true;
    }
    if (allDisruptedSinceMs >= 0 && nowMs < allDisruptedSinceMs + pauseLimitMs) {
      return false;
    }
    Long last = lastDownMs.get(zone);
    return last == null || nowMs - last >= protectedDownIntervalMs;
  }

  /** A node of {@code zone} was decided DOWN at {@code nowMs}: the slow rate counts from here. */
  public void wentDown(String zone, long nowMs) {
    if (disruptedSince.containsKey(zone)) {
      lastDownMs.put(zone, nowMs);
    }
  }

  /**
   * Carries over what the detectors before this one decided: each zone's last DOWN (the slow
   * rate counts from it) and, while every zone is disrupted here too, since when the pause runs,
   * so that a leadership change neither restarts the pause nor lets a zone skip its interval.
   */
  public void recall(Map<String, Long> lastDownByZone, OptionalLong pausedSinceMs) {
    lastDownByZone.forEach((zone, at) -> lastDownMs.merge(zone, at, Math::max));
    if (pausedSinceMs.isPresent() && allDisruptedSinceMs >= 0
        && pausedSinceMs.getAsLong() < allDisruptedSinceMs) {
      allDisruptedSinceMs = pausedSinceMs.getAsLong();
      state = new State(state.zones(), allDisruptedSinceMs + pauseLimitMs);
    }
  }

  /** The disrupted zones, and whether the disruption counts as every zone's. */
  private record Judgement(List<Zone> disrupted, boolean everyZone) {}

  private Judgement judge(Topology topology, LivenessView liveness) {
    Map<String, int[]> counts = new HashMap<>(); // zone -> {live, lease lost}
    for (NodeInfo node : topology.nodes()) {
      if (LIVE.contains(node.getState())) {
        int[] c = counts.computeIfAbsent(zoneOf(node), z -> new int[2]);
        c[0]++;
        if (node.getState() == NodeState.NODE_STATE_SUSPECT || !liveness.hasAlive(node.getId())) {
          c[1]++;
        }
      }
    }
    List<Zone> disrupted = new ArrayList<>();
    boolean everyLargeZone = true;
    boolean anyLargeZone = false;
    int live = 0;
    int lost = 0;
    for (Map.Entry<String, int[]> zone : counts.entrySet()) {
      int[] c = zone.getValue();
      live += c[0];
      lost += c[1];
      anyLargeZone |= c[0] >= minSuspects;
      if (c[1] >= minSuspects && c[1] > share * c[0]) {
        disrupted.add(new Zone(zone.getKey(), c[0], c[1], -1));
      } else if (c[0] >= minSuspects) {
        everyLargeZone = false;
      }
    }
    // Every zone at once: each zone of at least the minimum size is disrupted (with no such zone,
    // the cluster is judged as one), and so is the cluster as a whole. A small zone (one
    // unlabelled node, a rack of two) neither vetoes the pause nor causes it.
    boolean everyZone = everyLargeZone && (anyLargeZone ? !disrupted.isEmpty() : true)
        && lost >= minSuspects && lost > share * live;
    disrupted.sort(Comparator.comparing(Zone::name));
    return new Judgement(List.copyOf(disrupted), everyZone);
  }
}
