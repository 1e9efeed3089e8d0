package io.gitstratum.coordinator.facade.metrics;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every metric one facade replica exports, in its own registry (so several replicas in one JVM,
 * as in tests, do not mix). Names follow Prometheus conventions: a {@code gitstratum_coordinator_}
 * prefix, base units, {@code _total} for counters. Thread-safe.
 */
@Singleton
public final class FacadeMetrics {
  private static final String P = "gitstratum_coordinator_";

  /**
   * The etcd operations the store times, as label values ({@link #operationLabel}); each has its
   * error and latency series from the start. {@code FacadeMetricsTest} checks that every
   * operation named in the store is here.
   */
  public static final List<String> ETCD_OPERATIONS = List.of("schema_check",
      "ring_config_bootstrap", "topology_read", "paged_read", "version_read", "topology_commit",
      "commit_check", "lease_grant", "lease_keep_alive", "lease_time_to_live", "event_trim",
      "detector_pause", "detector_resume", "replicas_read", "detector_event",
      "detector_events_trim", "history_read");
  /** What a read of etcd found after an unanswered commit (CommitCheck.Outcome, lower case). */
  public static final List<String> UNANSWERED_OUTCOMES =
      List.of("committed", "not_committed", "unknown");
  public static final List<String> HEARTBEAT_OUTCOMES = List.of("renewed", "written");
  private static final List<NodeState> DETECTED_STATES =
      List.of(NodeState.NODE_STATE_SUSPECT, NodeState.NODE_STATE_DOWN);
  private static final String BUILD_VERSION = Optional.ofNullable(
      FacadeMetrics.class.getPackage().getImplementationVersion()).orElse("unknown");

  private final PrometheusRegistry registry = new PrometheusRegistry();

  private final Counter rpcs = Counter.builder().name(P + "rpc_requests_total")
      .help("gRPC requests by method and status code").labelNames("method", "code")
      .register(registry);
  private final Histogram rpcLatency = Histogram.builder().name(P + "rpc_duration_seconds")
      .help("gRPC request latency by method (streams: until the stream ends)").unit(Unit.SECONDS)
      .labelNames("method").classicOnly()
      .classicUpperBounds(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
      .register(registry);
  private final Histogram etcdLatency = Histogram.builder().name(P + "etcd_request_duration_seconds")
      .help("etcd call latency by operation").unit(Unit.SECONDS).labelNames("operation")
      .classicOnly()
      .classicUpperBounds(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5)
      .register(registry);
  private final Counter etcdErrors = Counter.builder().name(P + "etcd_errors_total")
      .help("etcd calls that failed or timed out, by operation").labelNames("operation")
      .register(registry);
  private final Counter casConflicts = Counter.builder().name(P + "cas_conflicts_total")
      .help("topology commits that lost the compare on the version key and were retried")
      .register(registry);
  private final Histogram batchSize = Histogram.builder().name(P + "commit_batch_size")
      .help("commands per group-commit transaction").classicOnly()
      .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
  private final Counter commitRefusals = Counter.builder().name(P + "commit_refusals_total")
      .help("topology commits etcd refused (nothing applied), by reason: too_large (split and "
          + "retried at once), lease_not_found (retried with fresh leases), refused")
      .labelNames("reason").register(registry);
  private final Counter writesRefused = Counter.builder().name(P + "writes_refused_total")
      .help("writes refused at once because the write queue was full (WRITE_QUEUE_FULL)")
      .register(registry);
  private final Counter heartbeatsShed = Counter.builder().name(P + "heartbeats_shed_total")
      .help("heartbeats refused at once because lease renewals waited too long for etcd "
          + "(REPLICA_OVERLOADED)")
      .register(registry);
  private final Counter unansweredCommits = Counter.builder().name(P + "unanswered_commits_total")
      .help("commits etcd did not answer in time, by what a read of etcd found afterwards: "
          + "committed, not_committed or unknown")
      .labelNames("outcome").register(registry);
  private final Counter keepAliveResets = Counter.builder().name(P + "keepalive_stream_resets_total")
      .help("lease keep-alive streams abandoned because etcd did not answer in time")
      .register(registry);
  private final Counter detector = Counter.builder().name(P + "detector_transitions_total")
      .help("failure detector decisions by target state").labelNames("state").register(registry);
  private final Counter heartbeats = Counter.builder().name(P + "heartbeats_total")
      .help("heartbeats by outcome: renewed (lease keep-alive only) or written (a transition)")
      .labelNames("outcome").register(registry);
  /** Label values already made Prometheus-friendly, by the name a caller gave. */
  private final Map<String, String> operationLabels = new ConcurrentHashMap<>();

  /** Whether the JVM's own metrics are in {@link #registry} yet (see {@link #withJvmMetrics}). */
  @GuardedBy("this")
  private boolean jvmMetrics;

  @Inject
  public FacadeMetrics() {
    GaugeWithCallback.builder().name(P + "build_info")
        .help("always 1: this replica's version and Java runtime, as labels")
        .labelNames("version", "java_version")
        .callback(cb -> cb.call(1, BUILD_VERSION, System.getProperty("java.version")))
        .register(registry);
    // Every labelled counter exists at 0 from the start: a rate() over a series that appears
    // only with its first event sees nothing, so an alert on it would never fire.
    for (String operation : ETCD_OPERATIONS) {
      etcdErrors.labelValues(operation);
      etcdLatency.labelValues(operation);
    }
    UNANSWERED_OUTCOMES.forEach(unansweredCommits::labelValues);
    HEARTBEAT_OUTCOMES.forEach(heartbeats::labelValues);
    for (NodeState state : DETECTED_STATES) {
      detector.labelValues(label(state));
    }
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /**
   * The registry with the JVM's own metrics (memory, GC, threads...) in it too, which this
   * registers at the first call: a scrape, not the start. Registering them starts JMX's platform
   * server and takes about a tenth of a start's CPU, which SERVING does not need.
   */
  public synchronized PrometheusRegistry withJvmMetrics() {
    if (!jvmMetrics) { // a second scrape at once waits: it too gets them
      JvmMetrics.builder().register(registry);
      jvmMetrics = true;
    }
    return registry;
  }

  /** The full_sync turn-taking of the watch hub, read at scrape time. */
  public void observeFullSyncs(LongSupplier bytesInTransit, LongSupplier waiting) {
    GaugeWithCallback.builder().name(P + "watch_full_sync_bytes_in_transit")
        .help("full_sync bytes handed to gRPC and not yet sent (bounded by 40 MiB)")
        .callback(cb -> cb.call(bytesInTransit.getAsLong())).register(registry);
    GaugeWithCallback.builder().name(P + "watch_full_syncs_waiting")
        .help("watch streams waiting for their turn to be sent a full_sync")
        .callback(cb -> cb.call(waiting.getAsLong())).register(registry);
  }

  /** Gauges read from the replica's state at scrape time. */
  public void observeState(Supplier<Topology> topology, LongSupplier subscribers,
      LongSupplier queuedUpdates, BooleanSupplier protecting, LongSupplier protectedZones,
      BooleanSupplier downPaused) {
    GaugeWithCallback.builder().name(P + "nodes").help("registered nodes by type and state")
        .labelNames("type", "state")
        .callback(cb -> countByTypeAndState(topology.get()).forEach((type, states) ->
            states.forEach((state, n) -> cb.call(n, label(type), label(state)))))
        .register(registry);
    GaugeWithCallback.builder().name(P + "topology_version")
        .help("topology version held by this replica's cache")
        .callback(cb -> cb.call(topology.get().version())).register(registry);
    GaugeWithCallback.builder().name(P + "watch_subscribers")
        .help("open WatchTopology streams on this replica")
        .callback(cb -> cb.call(subscribers.getAsLong())).register(registry);
    GaugeWithCallback.builder().name(P + "watch_queued_updates")
        .help("updates queued for all watch streams of this replica")
        .callback(cb -> cb.call(queuedUpdates.getAsLong())).register(registry);
    GaugeWithCallback.builder().name(P + "mass_expiry_protection")
        .help("1 while SUSPECT->DOWN is slowed or paused because most live nodes of a zone "
            + "are SUSPECT")
        .callback(cb -> cb.call(protecting.getAsBoolean() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name(P + "detector_protected_zones")
        .help("zones where most live nodes are SUSPECT, so SUSPECT->DOWN is slowed there")
        .callback(cb -> cb.call(protectedZones.getAsLong())).register(registry);
    GaugeWithCallback.builder().name(P + "detector_down_paused")
        .help("1 while every zone is disrupted and SUSPECT->DOWN is paused (for a bounded time)")
        .callback(cb -> cb.call(downPaused.getAsBoolean() ? 1 : 0)).register(registry);
  }

  /**
   * Whether this replica follows etcd, whether it runs the detector and whether an operator's
   * pause of SUSPECT→DOWN is in force, read at scrape time.
   */
  public void observeReplica(BooleanSupplier synced, BooleanSupplier detectorLeader,
      BooleanSupplier operatorPause) {
    GaugeWithCallback.builder().name(P + "cache_synced")
        .help("1 while this replica's cache follows etcd (as /readyz), else 0")
        .callback(cb -> cb.call(synced.getAsBoolean() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name(P + "detector_leader")
        .help("1 while this replica holds the detector election and runs the failure detector")
        .callback(cb -> cb.call(detectorLeader.getAsBoolean() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name(P + "detector_operator_paused")
        .help("1 while an operator's pause of SUSPECT->DOWN (coordctl detector pause) is in force")
        .callback(cb -> cb.call(operatorPause.getAsBoolean() ? 1 : 0)).register(registry);
  }

  /**
   * Nodes by type, state and zone (the value of {@code zoneLabel}), read at scrape time; at most
   * {@link ZoneCounts#MAX_ZONES} zones by name, the rest summed, so the series stay bounded.
   */
  public void observeZones(Supplier<Topology> topology, String zoneLabel) {
    GaugeWithCallback.builder().name(P + "zone_nodes")
        .help("registered nodes by type, state and zone (the --zone-label value; _unlabelled: "
            + "nodes without it; _other: nodes of zones beyond the largest "
            + ZoneCounts.MAX_ZONES + ")")
        .labelNames("type", "state", "zone")
        .callback(cb -> ZoneCounts.of(topology.get().nodes(), zoneLabel).forEach(count ->
            cb.call(count.nodes(), label(count.type()), label(count.state()), count.zone())))
        .register(registry);
  }

  /**
   * etcd members as the background member check last saw them: name (or client URL) to whether
   * it answered. Read at scrape time.
   */
  public void observeEtcdMembers(Supplier<Map<String, Boolean>> members) {
    GaugeWithCallback.builder().name(P + "etcd_members")
        .help("etcd cluster members, as the member list last read says")
        .callback(cb -> cb.call(members.get().size())).register(registry);
    GaugeWithCallback.builder().name(P + "etcd_members_answering")
        .help("etcd members that answered this replica's last status check")
        .callback(cb -> cb.call(members.get().values().stream().filter(up -> up).count()))
        .register(registry);
    GaugeWithCallback.builder().name(P + "etcd_member_up")
        .help("1 while the etcd member answered this replica's last status check, else 0")
        .labelNames("member")
        .callback(cb -> members.get().forEach((member, up) -> cb.call(up ? 1 : 0, member)))
        .register(registry);
  }

  public void rpc(String method, String code, long nanos) {
    rpcs.labelValues(method, code).inc();
    rpcLatency.labelValues(method).observe(nanos / 1e9);
  }

  /** Times one etcd call and counts its failure. */
  public <T> T etcd(String operation, Supplier<T> call) {
    long start = System.nanoTime();
    boolean succeeded = false;
    try {
      T result = call.get();
      succeeded = true;
      return result;
    } finally {
      etcdDone(operation, start, succeeded);
    }
  }

  /** Records an etcd call that completed asynchronously, started at {@code startNanos}. */
  public void etcdDone(String operation, long startNanos, boolean succeeded) {
    String label = operationLabels.computeIfAbsent(operation, FacadeMetrics::operationLabel);
    if (!succeeded) {
      etcdErrors.labelValues(label).inc();
    }
    etcdLatency.labelValues(label).observe((System.nanoTime() - startNanos) / 1e9);
  }

  /** "lease keep-alive" → lease_keep_alive: label values without spaces or dashes. */
  public static String operationLabel(String operation) {
    return operation.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
  }

  public void casConflict() {
    casConflicts.inc();
  }

  public void heartbeatShed() {
    heartbeatsShed.inc();
  }

  public void writeRefused() {
    writesRefused.inc();
  }

  /** A commit that went unanswered, and what etcd was found to hold. */
  public void unansweredCommit(String outcome) {
    unansweredCommits.labelValues(outcome).inc();
  }

  public void keepAliveStreamReset() {
    keepAliveResets.inc();
  }

  public void commitRefused(String reason) {
    commitRefusals.labelValues(reason).inc();
  }

  public void batch(int commands) {
    batchSize.observe(commands);
  }

  public void detected(NodeState state) {
    detector.labelValues(label(state)).inc();
  }

  public void heartbeat(boolean written) {
    heartbeats.labelValues(written ? "written" : "renewed").inc();
  }

  private static Map<NodeType, Map<NodeState, Integer>> countByTypeAndState(Topology topology) {
    Map<NodeType, Map<NodeState, Integer>> counts = new EnumMap<>(NodeType.class);
    for (NodeType type : new NodeType[] {NodeType.NODE_TYPE_FRONTEND, NodeType.NODE_TYPE_METADATA,
        NodeType.NODE_TYPE_OBJECT}) {
      Map<NodeState, Integer> states = new EnumMap<>(NodeState.class);
      for (NodeState state : new NodeState[] {NodeState.NODE_STATE_JOINING,
          NodeState.NODE_STATE_ACTIVE, NodeState.NODE_STATE_DRAINING, NodeState.NODE_STATE_SUSPECT,
          NodeState.NODE_STATE_DOWN}) {
        states.put(state, topology.count(type, state));
      }
      counts.put(type, states);
    }
    return counts;
  }

  /** NODE_STATE_ACTIVE → active, NODE_TYPE_OBJECT → object. */
  static String label(Enum<?> value) {
    String name = value.name().toLowerCase(java.util.Locale.ROOT);
    return name.substring(name.indexOf('_', name.indexOf('_') + 1) + 1);
  }
}
