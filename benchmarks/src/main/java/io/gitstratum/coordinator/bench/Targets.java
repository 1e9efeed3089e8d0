package io.gitstratum.coordinator.bench;

import io.gitstratum.coordinator.bench.report.Target;
import java.util.List;

/** The targets of issue 8, by the figure names the workloads report. */
final class Targets {
  private Targets() {}

  static List<Target> all() {
    return List.of(
        Target.ratioAtLeast("register_c32",
            "RegisterNode, 32 callers, vs naive CAS with 32 callers",
            "facade.register.c32.per_s", "raw.cas.c32.commits_per_s", 20),
        Target.ratioAtLeast("register_c1",
            "RegisterNode, 1 caller, vs raw transaction with 1 caller",
            "facade.register.c1.per_s", "raw.cas.c1.commits_per_s", 0.8),
        Target.ratioAtLeast("heartbeat_c32",
            "Heartbeat, 32 callers, vs keepAliveOnce with 32 callers",
            "facade.heartbeat.c32.per_s", "raw.keepalive.c32.per_s", 0.6),
        Target.equalTo("etcd_requests_per_heartbeat",
            "etcd LeaseKeepAlive requests per heartbeat (32 callers)",
            "facade.heartbeat.c32.etcd_requests_per_heartbeat", 1),
        Target.ratioAtMost("watch_p99_w10000",
            "WatchTopology p99, 10,000 streams on one replica, vs 1,000 direct etcd watchers",
            "facade.watch.w10000.p99_ms", "raw.watch.w1000.p99_ms", 1),
        Target.equalTo("etcd_watchers_per_replica",
            "etcd watchers for one replica with 10,000 streams",
            "facade.watch.w10000.etcd_watchers_for_replica", 1),
        Target.atMost("suspect_after_lease_expiry_ms",
            "SUSPECT seen by a watcher, beyond the paired raw lease expiry (mean of pairs, ms)",
            "facade.detect.excess_over_raw_mean_ms", 100),
        Target.ratioAtMost("watch_p99_w1000",
            "WatchTopology p99, 1,000 streams on one replica, vs 1,000 direct etcd watchers",
            "facade.watch.w1000.p99_ms", "raw.watch.w1000.p99_ms", 2),
        Target.atMost("watch_p99_w10000_ms",
            "WatchTopology p99, 10,000 streams on one replica (ms)",
            "facade.watch.w10000.p99_ms", 100),
        Target.ratioAtMost("startup_n100000",
            "Ready on 100,000 nodes, vs a raw jetcd paged read of the same keys plus decoding",
            "facade.startup.n100000.ready_s", "raw.paged_read.n100000.s", 2),
        Target.atMost("startup_n100000_s", "Ready on 100,000 nodes (s)",
            "facade.startup.n100000.ready_s", 20),
        Target.atMost("heap_per_node_n100000", "Heap per node with 100,000 nodes loaded (bytes)",
            "facade.startup.n100000.heap_per_node_bytes", 1536),
        Target.atMost("fanout_heap_s1000",
            "Heap growth during a full_sync of 100,000 nodes to 1,000 streams, in full_syncs",
            "facade.fanout.n100000.s1000.heap_growth_x", 3),
        Target.atMost("overload_accepted_p99_ms",
            "Past the capacity knee (1.5 x): accepted heartbeats' p99 (ms)",
            "capacity.overload.p99_ms", 100),
        Target.atMost("overload_rejected_p99_ms",
            "Past the capacity knee (1.5 x): refused heartbeats' p99 (ms)",
            "capacity.overload.rejected_p99_ms", 10),
        Target.atMost("overload_keepalives_per_accepted",
            "Past the capacity knee (1.5 x): etcd keep-alives per accepted heartbeat",
            "capacity.overload.etcd_keepalives_per_accepted", 1.05),
        Target.atLeast("capacity_nodes",
            "Capacity: nodes heartbeating every 10 s on one replica and one etcd",
            "facade.capacity.nodes", 30_000));
  }
}
