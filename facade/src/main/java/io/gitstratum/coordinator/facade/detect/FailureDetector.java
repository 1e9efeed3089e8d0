package io.gitstratum.coordinator.facade.detect;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.Durations;
import io.gitstratum.coordinator.facade.core.FencedOutException;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.heartbeat.LivenessSettings;
import io.gitstratum.coordinator.facade.leader.Leadership;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.metrics.LogThrottle;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.write.Command;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.DetectorEventKind;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two-stage failure detection, run by the elected replica only (DESIGN.md). A live node whose
 * alive key is gone (its lease expired) becomes SUSPECT and gets a grace key; a SUSPECT node
 * whose grace key is gone becomes DOWN, at the slower pace of zone protection where a zone is
 * disrupted ({@link ZoneProtection}: slowed, or paused for a bounded time), and at a bounded
 * rate. Each decision is an ordinary topology change through the write path, so it is written
 * once (the compare-and-swap makes a second leader's attempt a no-op) and reaches every watcher.
 *
 * <p>A node whose liveness key changes is looked at at once (only that node); a periodic scan
 * retries delayed or rate-limited decisions, and every few seconds, after winning the election
 * and after a resync it reconciles every node. It also trims the event log. Runs on the
 * {@code facade-detector} thread it shares with the detector election (docs/THREADS.md).
 */
@Singleton
public final class FailureDetector implements TopologyCache.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FailureDetector.class);
  private static final long TRIM_EVERY_MS = 5_000;
  // Changes read per trim to find those past --history-retention: a backlog (a lowered
  // retention, a detector long without leadership) goes in steps of this many per trim.
  private static final int TRIM_READ = 1000;
  private static final long RECONCILE_EVERY_MS = 5_000;
  // Each failed renewal took at most an etcd timeout; three fit in any grace period worth having.
  private static final int GRACE_RENEWAL_ATTEMPTS = 3;
  // Changes a new leader reads back to rebuild its memory (DetectorMemory): bounded, so taking
  // over stays one bounded read; a storm of more decisions within the flap window is recalled
  // from its newest ones.
  private static final int RECALL_CHANGES = 10_000;

  /** A full write queue or an etcd outage fails the decisions on every node alike. */
  private final LogThrottle warnings = new LogThrottle(Duration.ofSeconds(10));

  private final TopologyCache cache;
  private final TopologyWriter writer;
  private final EtcdTopologyStore store;
  private final EtcdAdminStore events;
  private final LeaseKeepAlives keepAlives;
  private final Leadership leadership;
  private final Clock clock;
  private final DetectorSettings settings;
  private final ScheduledExecutorService thread;
  private final FacadeMetrics metrics;
  private final ZoneProtection zones;
  /** How the change history names this detector: {@code detector:<replica>}. */
  private final String actor;
  private final long downTimeoutMs;
  private final long pauseLimitMs;
  private final long slowIntervalMs;
  private final DetectorDecisions decisions;
  private final AtomicBoolean checkQueued = new AtomicBoolean();
  // Counts liveness key changes: zone protection judges again only when it or the version moved.
  private final AtomicLong livenessChanges = new AtomicLong();
  private volatile boolean reconcileDue = true;
  private final Set<String> changed = ConcurrentHashMap.newKeySet();

  // Confined to the detector thread.
  private final Map<String, Long> graceRestarted = new HashMap<>();
  private long lastReconcileMs;
  private Optional<DetectorPauseRecord> lastPause = Optional.empty();
  private boolean leading;
  /** The election win this detector decides under ({@link Leadership#tenure}); 0: none. */
  private long tenure;
  /** A win etcd refused a decision of: not decided under again, whatever the election says. */
  private long fencedOut;
  private long lastTrimMs;
  private ScheduledFuture<?> scans;

  /**
   * @param keepAlives renews a grace key's lease once the detector sees the key appear
   */
  @Inject
  public FailureDetector(TopologyCache cache, TopologyWriter writer, EtcdTopologyStore store,
      EtcdAdminStore events, LeaseKeepAlives keepAlives, Leadership leadership, Clock clock, DetectorSettings settings,
      LivenessSettings liveness, @Named("replicaId") String replicaId,
      @Named("detector") ScheduledExecutorService thread, FacadeMetrics metrics) {
    this.actor = "detector:" + replicaId;
    this.metrics = metrics;
    this.keepAlives = keepAlives;
    this.cache = cache;
    this.writer = writer;
    this.store = store;
    this.events = events;
    this.leadership = leadership;
    this.clock = clock;
    this.settings = settings;
    this.thread = thread;
    long downMs = liveness.downTimeout().toMillis();
    this.downTimeoutMs = downMs;
    this.pauseLimitMs = Math.round(settings.pauseLimit() * downMs);
    this.slowIntervalMs = Math.round(settings.protectedDownInterval() * downMs);
    this.zones = new ZoneProtection(settings.zoneLabel(), settings.massExpiryShare(),
        settings.massExpiryMinSuspects(), pauseLimitMs, slowIntervalMs);
    this.decisions = new DetectorDecisions(new FlapDamper(settings.flapSuspicions(),
        settings.flapWindow(), liveness.suspectTimeout()), zones, settings.downPerSecond());
  }

  public void start() {
    cache.addListener(this);
    long period = settings.scanInterval().toMillis();
    scans = thread.scheduleWithFixedDelay(this::scan, period, period, TimeUnit.MILLISECONDS);
  }

  /** The protection as this replica last saw it: disrupted zones since when, and any pause. */
  public ZoneProtection.State protection() {
    return zones.state();
  }

  @Override
  public void onLiveness(String nodeId) {
    // A lease just expired (or came back): look at that node now rather than at the next scan.
    livenessChanges.incrementAndGet();
    changed.add(nodeId);
    if (checkQueued.compareAndSet(false, true)) {
      thread.execute(this::checkChanged);
    }
  }

  @Override
  public void onUpdates(List<TopologyUpdate> updates, TopologyCache.State after) {}

  @Override
  public void onResync(TopologyCache.State before, TopologyCache.State after) {
    reconcileDue = true; // what changed in between is unknown: look at every node
  }

  /**
   * Every scan interval: the nodes waiting for a delayed or rate-limited decision. Every node
   * (reconciliation) after winning the election, after a resync, and every few seconds.
   */
  private void scan() {
    if (cache.isSynced()) {
      // Every replica follows the zones, so its status page and metrics say since when. Once per
      // scan, not per liveness change: judging counts every node.
      try {
        observeProtection(cache.state().topology(), leadership.isLeader());
      } catch (RuntimeException e) {
        log.warn("zone protection could not judge the topology: {}", e.toString());
      }
    }
    whileLeading(topology -> {
      long nowMs = clock.millis();
      if (reconcileDue || nowMs - lastReconcileMs >= RECONCILE_EVERY_MS) {
        reconcileDue = false;
        lastReconcileMs = nowMs;
        for (NodeInfo node : topology.nodes()) {
          if (node.getState() == NodeState.NODE_STATE_SUSPECT) {
            restartGrace(node.getId()); // a key that came with a resync or before this win
          }
          check(node, nowMs);
        }
        decisions.forget(id -> topology.node(id).isEmpty());
      } else {
        for (String id : decisions.waiting()) {
          topology.node(id).ifPresent(node -> check(node, nowMs));
        }
        decisions.forget(id -> topology.node(id).isEmpty());
      }
      trim(topology.version(), nowMs);
    });
  }

  /** Only the nodes whose liveness keys changed since the last look: O(changes), not O(nodes). */
  private void checkChanged() {
    checkQueued.set(false);
    List<String> ids = new ArrayList<>();
    for (Iterator<String> it = changed.iterator(); it.hasNext(); ) {
      ids.add(it.next());
      it.remove();
    }
    whileLeading(topology -> {
      long nowMs = clock.millis();
      for (String id : ids) {
        restartGrace(id);
        topology.node(id).ifPresent(node -> check(node, nowMs));
      }
    });
  }

  private void whileLeading(Consumer<Topology> work) {
    try {
      long now = leadership.tenure();
      if (now == 0 || now == fencedOut) {
        if (leading) {
          log.info("failure detector stopped: this replica no longer leads");
          decisions.clear();
          graceRestarted.clear();
        }
        leading = false;
        tenure = 0;
        return;
      }
      tenure = now;
      if (!cache.isSynced()) {
        return;
      }
      Topology topology = cache.state().topology();
      if (!leading) {
        // Not from nothing: a failed read is retried at the next scan, deciding nothing before.
        decisions.recall(recall(topology.version(), clock.millis()), clock.millis());
        leading = true;
        lastTrimMs = 0;
        reconcileDue = true;
        log.info("failure detector running: reconciling {} nodes at version {}", topology.size(),
            topology.version());
      }
      work.accept(topology);
    } catch (RuntimeException e) {
      // Supervised by the schedule: the next scan starts again from etcd's state.
      log.warn("failure detector scan failed: {}", e.toString());
    }
  }

  /**
   * What the detectors before this one decided, as etcd recorded it: the last
   * {@link #RECALL_CHANGES} changes and the detector events of the last pause limit.
   */
  private DetectorMemory recall(long version, long nowMs) {
    List<EtcdAdminStore.RecordedChange> changes = events.changes(
        Math.max(0, version - RECALL_CHANGES), version);
    return DetectorMemory.rebuild(changes, events.detectorEvents(nowMs - pauseLimitMs, nowMs + 1),
        zones::zoneOf, nowMs, settings.flapWindow().toMillis(), slowIntervalMs);
  }

  private void observeProtection(Topology topology, boolean leader) {
    long nowMs = clock.millis();
    ZoneProtection.State before = zones.state();
    ZoneProtection.State now = zones.observe(topology, cache.liveness(), livenessChanges.get(),
        nowMs);
    Optional<DetectorPauseRecord> pause = cache.detectorPause();
    boolean pauseChanged = !pause.equals(lastPause);
    lastPause = pause;
    if (!leader) {
      return;
    }
    if (pauseChanged) {
      pause.ifPresentOrElse(p -> log.warn("SUSPECT->DOWN paused by {} ({}): SUSPECT nodes wait "
              + "until an operator resumes", p.getBy(), p.getReason()),
          () -> log.info("SUSPECT->DOWN resumed by an operator"));
    }
    Duration interval = Duration.ofMillis(
        Math.round(settings.protectedDownInterval() * downTimeoutMs));
    Set<String> was = new HashSet<>();
    before.zones().forEach(z -> was.add(z.name()));
    for (ZoneProtection.Zone zone : now.zones()) {
      if (!was.remove(zone.name())) {
        log.warn("zone {} disrupted: {} of {} live nodes SUSPECT; SUSPECT->DOWN there slowed to "
            + "one per {}", ZoneProtection.display(zone.name()), zone.suspect(), zone.live(),
            Durations.format(interval));
        record(DetectorEventKind.DETECTOR_EVENT_ZONE_PROTECTED, zone.suspect() + " of "
            + zone.live() + " live nodes SUSPECT; SUSPECT->DOWN slowed to one per "
            + Durations.format(interval), nowMs, ZoneProtection.display(zone.name()));
      }
    }
    was.forEach(zone -> {
      log.info("zone {} no longer disrupted: SUSPECT->DOWN at the normal rate",
          ZoneProtection.display(zone));
      record(DetectorEventKind.DETECTOR_EVENT_ZONE_UNPROTECTED, "no longer disrupted", nowMs,
          ZoneProtection.display(zone));
    });
    if (now.pausedUntilMs() != before.pausedUntilMs() && now.paused(nowMs)) {
      record(DetectorEventKind.DETECTOR_EVENT_DOWN_PAUSED, "every zone disrupted: SUSPECT->DOWN "
          + "paused for " + Durations.format(Duration.ofMillis(now.pausedUntilMs() - nowMs)),
          nowMs, "");
      log.warn("every zone disrupted: SUSPECT->DOWN paused until {} ({} from now), then one per "
          + "{} per zone", Instant.ofEpochMilli(now.pausedUntilMs()),
          Durations.format(Duration.ofMillis(now.pausedUntilMs() - nowMs)),
          Durations.format(interval));
    } else if (before.paused(nowMs - 1) && !now.paused(nowMs) && now.protecting()) {
      log.warn("protection pause over with every zone still disrupted: SUSPECT->DOWN resumes at "
          + "one per {} per zone", Durations.format(interval));
    }
  }

  /**
   * Keeps a protection event in the history, fenced by the election as decisions are; a failure
   * costs the record only (logged), never the scan.
   */
  private void record(DetectorEventKind kind, String reason, long nowMs, String zone) {
    long won = leadership.tenure();
    if (won == 0 || won == fencedOut) {
      return;
    }
    try {
      if (!events.record(DetectorEvents.record(kind, actor, reason, nowMs, zone), won)) {
        log.info("detector event not recorded ({} {}): this replica no longer leads", kind, zone);
      }
    } catch (RuntimeException e) {
      log.warn("detector event not recorded ({} {}): {}", kind, zone, e.toString());
    }
  }

  private void check(NodeInfo node, long nowMs) {
    decisions.look(node, cache.liveness(), cache.detectorPause().isPresent(), nowMs)
        .ifPresent(decision -> decide(decision, nowMs));
  }

  /**
   * A grace key that just appeared gets its full grace period from now: its lease was granted
   * before the commit, and a transaction held up on the way to etcd (a member gone silent) can
   * land seconds later with little of that lease left, which would cut the grace period short.
   * One renewal per key, by the detector that sees it appear: in a watch event, or in a
   * reconciliation when it came with a resync (the watch was cut meanwhile) or before this
   * replica won the election (the previous detector's renewal may have been lost with it).
   */
  private void restartGrace(String id) {
    OptionalLong lease = cache.graceLease(id);
    if (lease.isEmpty()) {
      graceRestarted.remove(id);
      return;
    }
    Long restarted = graceRestarted.put(id, lease.getAsLong());
    if (restarted == null || restarted != lease.getAsLong()) {
      renewGrace(id, lease.getAsLong(), GRACE_RENEWAL_ATTEMPTS);
    }
  }

  /**
   * A renewal that fails (its keep-alive stream was on a member gone silent) is sent again, on
   * whatever stream the lease's lane opens next, while the same grace key is there: the renewal
   * is what gives the node its full grace, and renewing a lease twice does no harm.
   */
  private void renewGrace(String id, long lease, int attempts) {
    keepAlives.keepAliveAsync(lease).whenComplete((ttl, e) -> {
      if (e == null) {
        return;
      }
      OptionalLong current = cache.graceLease(id);
      if (current.isEmpty() || current.getAsLong() != lease) {
        return; // the key is gone or another took its place
      }
      if (attempts > 1) {
        renewGrace(id, lease, attempts - 1);
      } else {
        log.warn("grace period of node {} not restarted: {}", id, e.toString());
      }
    });
  }

  // Decisions are submitted without waiting, so many expiring together share group commits.
  private void decide(DetectorDecisions.Decision decision, long nowMs) {
    String id = decision.nodeId();
    boolean suspect = decision.kind() == DetectorDecisions.Kind.SUSPECT;
    // The fence: etcd writes the decision only while this win's election key is still there.
    LivenessGuard fence = new LivenessGuard.ElectionHeld(tenure);
    Command<OptionalLong> command = suspect
        ? (view, liveness) -> TopologyTransitions.suspect(view, liveness, id).guardedBy(fence)
        // A pause that lands while the decision waits in the queue: its guard fails the commit,
        // and the writer, once its cache has the pause, asks again and gets nothing to write.
        : (view, liveness) -> cache.detectorPause().isPresent()
            ? new Transition<>(List.of(), OptionalLong.empty())
            : TopologyTransitions.down(view, liveness, id).guardedBy(fence);
    CompletableFuture<OptionalLong> written;
    try {
      written = writer.submit(actor, command);
    } catch (RuntimeException e) {
      decisions.dropped(decision);
      warnings.log("submit", held -> log.warn("failure detector could not submit its decision on "
          + "{}: {}{}", id, e.toString(), LogThrottle.heldBack(held)));
      return;
    }
    written.whenComplete((version, error) -> thread.execute(() -> {
      decisions.written(decision, error == null && version.isPresent(), nowMs);
      if (error != null && Completions.cause(error) instanceof FencedOutException fenced) {
        fencedOut(fenced.createRevision());
      } else if (error != null) {
        warnings.log("write", held -> log.warn("failure detector could not write its decision "
            + "on {}: {}{}", id, error.toString(), LogThrottle.heldBack(held)));
        onLiveness(id); // look again now, not at the next reconciliation
      } else if (version.isPresent()) {
        NodeState state = suspect ? NodeState.NODE_STATE_SUSPECT : NodeState.NODE_STATE_DOWN;
        metrics.detected(state);
        log.info("node {} {}: {} (version {})", id, suspect ? "SUSPECT" : "DOWN",
            suspect ? "lease expired" : "grace period over", version.getAsLong());
      }
    }));
  }

  /**
   * etcd refused a decision of the win {@code refused}: another replica leads (or none does
   * yet). A known outcome: stop deciding now, say so once, and retry nothing.
   */
  private void fencedOut(long refused) {
    if (!leading || refused != tenure) {
      // Stopped already (the other decisions in flight under that win are refused alike), or
      // a decision made before this replica lost and won again, whose new win etcd has not
      // refused.
      return;
    }
    fencedOut = refused;
    log.warn("failure detector stopped: etcd refused its decision, this replica no longer leads "
        + "(election won at revision {})", refused);
    leadership.deposed(refused);
    leading = false;
    tenure = 0;
    decisions.clear();
    graceRestarted.clear();
  }

  private void trim(long version, long nowMs) {
    if (nowMs - lastTrimMs < TRIM_EVERY_MS) {
      return;
    }
    lastTrimMs = nowMs;
    long cutoffMs = nowMs - settings.historyRetention().toMillis();
    // The oldest change alone first: only when it is past the retention are more read.
    List<EtcdAdminStore.ChangeTime> oldest = events.oldestChanges(1);
    if (!oldest.isEmpty() && oldest.get(0).atMs() < cutoffMs) {
      oldest = events.oldestChanges(TRIM_READ);
    }
    long keepFrom = Math.max(version - settings.eventRetention() + 1,
        HistoryRetention.firstYoungerThan(oldest, cutoffMs));
    if (keepFrom > 1) {
      store.trimEventsBefore(keepFrom);
    }
    events.trimDetectorEventsBefore(cutoffMs);
  }

  @Override
  public void close() {
    cache.removeListener(this);
    if (scans != null) {
      scans.cancel(false);
    }
  }
}
