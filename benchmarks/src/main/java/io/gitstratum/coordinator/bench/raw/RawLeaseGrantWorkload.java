package io.gitstratum.coordinator.bench.raw;

import io.etcd.jetcd.Lease;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.report.Report;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * LeaseGrant alone with 32 callers: every registration needs a lease of its own (its liveness),
 * so this is the most registrations per second etcd can take here, whatever the facade does
 * with the rest of the transaction. Leases carry nothing and outlive the run (TTL 900 s), so
 * their expiry does not disturb later workloads.
 */
public final class RawLeaseGrantWorkload implements Workload {
  static final String SECTION = "Raw etcd: LeaseGrant";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    Lease lease = rig.jetcd().getLeaseClient();
    CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
        "driver", ProcessHandle.current().pid()));
    var s = rig.settings();
    LoopResult r = ClosedLoop.run("raw-grant", 32, s.warmup(), s.window(), 5_000_000,
        (caller, seq) -> lease.grant(900).get(10, TimeUnit.SECONDS));
    Map<String, Double> cores = cpu.end();
    report.figure(SECTION, "raw.lease_grant.c32.per_s", r.perSecond(), "1/s",
        "32 callers, nothing attached");
    report.figure(SECTION, "raw.lease_grant.c32.p99_ms", r.latencies().percentileMs(99), "ms");
    if (r.errors() > 0) {
      report.figure(SECTION, "raw.lease_grant.c32.errors", r.errors(), "1", r.firstError());
    }
    cores.forEach((name, value) -> report.figure(SECTION,
        "raw.lease_grant.c32.cpu_" + name + "_cores", value, "cores", "warm-up and window"));
    report.note(SECTION, "An upper bound on RegisterNode throughput on this etcd: each new node "
        + "needs one lease, and a grant is a raft proposal of its own.");
  }
}
