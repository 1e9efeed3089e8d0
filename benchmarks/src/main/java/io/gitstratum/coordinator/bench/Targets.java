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
        Target.atLeast("capacity_nodes",
            "Capacity: nodes heartbeating every 10 s on one replica and one etcd",
            "facade.capacity.nodes", 30_000));
  }
}
