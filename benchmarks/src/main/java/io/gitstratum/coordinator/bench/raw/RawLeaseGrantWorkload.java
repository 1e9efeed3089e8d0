package io.gitstratum.coordinator.bench.raw;

import io.etcd.jetcd.Lease;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * LeaseGrant alone with 32 callers: every registration needs a lease of its own (its liveness),
 * so this is the most registrations per second etcd can take here, whatever the facade does
 * with the rest of the transaction. Bounded to 20,000 grants, which are revoked afterwards: a
 * heap of idle leases would slow etcd's keep-alives in every later workload.
 */
public final class RawLeaseGrantWorkload implements Workload {
  static final String SECTION = "Raw etcd: LeaseGrant";
  private static final int MAX_GRANTS = 20_000;
  /** Short: etcd is warm by now, and the grant count is bounded. */
  private static final Duration WARMUP = Duration.ofMillis(300);

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return s.closedLoops(1).plusSeconds(20); // grants, then revoking them
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    measure(rig, report, SECTION, "raw.lease_grant.c32");
    report.note(SECTION, "An upper bound on RegisterNode throughput on this etcd: each new node "
        + "needs one lease, and a grant is a raft proposal of its own.");
  }

  /**
   * Grants (then revokes) leases with 32 callers for one window and reports {@code
   * <prefix>.per_s}, its p99 and the CPU of etcd and this driver under {@code section}.
   */
  public static void measure(Rig rig, Report report, String section, String prefix)
      throws Exception {
    Lease lease = rig.jetcd().getLeaseClient();
    CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
        "driver", ProcessHandle.current().pid()));
    var s = rig.settings();
    Queue<Long> granted = new ConcurrentLinkedQueue<>();
    LoopResult r = ClosedLoop.run("raw-grant", 32, WARMUP, s.window(), MAX_GRANTS,
        (caller, seq) -> granted.add(lease.grant(900).get(10, TimeUnit.SECONDS).getID()));
    Map<String, Double> cores = cpu.end();
    ClosedLoop.run("raw-revoke", 32, Duration.ZERO, Duration.ofSeconds(60), granted.size() + 32,
        (caller, seq) -> {
          Long id = granted.poll();
          if (id != null) {
            lease.revoke(id).get(10, TimeUnit.SECONDS);
          }
        });
    report.figure(section, prefix + ".per_s", r.perSecond(), "1/s",
        "32 callers, nothing attached");
    report.figure(section, prefix + ".p99_ms", r.latencies().percentileMs(99), "ms");
    if (r.errors() > 0) {
      report.figure(section, prefix + ".errors", r.errors(), "1", r.firstError());
    }
    CpuFigures.report(report, section, prefix, cpu, cores, r.totalOps(), "grant",
        "warm-up and window");
  }
}
