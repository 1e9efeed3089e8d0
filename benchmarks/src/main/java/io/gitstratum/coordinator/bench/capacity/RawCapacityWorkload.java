package io.gitstratum.coordinator.bench.capacity;

import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.ForeignLoad;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Figure;
import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The capacity probe's raw baseline: the same node counts as etcd leases kept alive directly
 * ({@link OpenLoopKeepAlives}: one LeaseKeepAlive stream, each lease renewed once per 10 s),
 * with the same pass rule (p99 under 50 ms, no error, no expired lease), so the facade's knee
 * stands next to etcd's own. Stops at the first step that fails.
 */
public final class RawCapacityWorkload implements Workload {
  static final String SECTION = "Raw etcd: capacity (leases renewed every 10 s, one stream)";
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final double P99_LIMIT_MS = 50;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    // Grants run at thousands per second; each step is one warm interval and one hold.
    // One step may be measured twice when other work disturbed it.
    return INTERVAL.plus(s.capacityHold()).plusSeconds(8)
        .multipliedBy(s.capacitySteps().size() + 1).plusSeconds(10);
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    List<Integer> steps = rig.settings().capacitySteps();
    int max = steps.stream().mapToInt(Integer::intValue).max().orElse(0);
    Duration hold = rig.settings().capacityHold();
    int granted = 0;
    int capacity = 0;
    boolean retried = false;
    try (OpenLoopKeepAlives load = new OpenLoopKeepAlives(rig.etcdEndpoint(), max, INTERVAL)) {
      for (int k = 0; k < steps.size(); k++) {
        int n = steps.get(k);
        if (!rig.budget().allows(INTERVAL.plus(hold).plusSeconds(8))) {
          report.note(SECTION, "stopped before " + n + " leases: the workload's time budget was "
              + "nearly spent");
          break;
        }
        String s = "raw.capacity.n" + n;
        long failedGrants = n > granted ? load.grant(granted, n, TTL) : 0;
        granted = Math.max(granted, n);
        load.leases(n);
        Thread.sleep(INTERVAL.toMillis() + 1_000); // every new lease renewed once
        CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
            "driver", ProcessHandle.current().pid()));
        double keepAlivesBefore = rig.etcdKeepAliveRequests();
        OpenLoopHeartbeats.Recording r = load.record(
            (int) (n * (hold.toSeconds() / INTERVAL.toSeconds() + 2)));
        Thread.sleep(hold.toMillis());
        load.stopRecording();
        Map<String, Double> cores = cpu.end();
        double keepAlives = rig.etcdKeepAliveRequests() - keepAlivesBefore;
        Thread.sleep(1_000); // answers to the window's last renewals
        long errors = r.errors() + failedGrants;
        double p99 = r.latencies().percentileMs(99);
        report.figure(SECTION, s + ".keepalives_per_s", r.sent() / (double) hold.toSeconds(),
            "1/s", "sent, held " + hold.toSeconds() + " s after one warm interval");
        report.figure(SECTION, s + ".p50_ms", r.latencies().percentileMs(50), "ms",
            "from the scheduled send time to etcd's answer");
        report.figure(SECTION, s + ".p99_ms", p99, "ms");
        report.figure(SECTION, s + ".max_ms", r.latencies().maxMs(), "ms");
        report.figure(SECTION, s + ".errors", errors, "1", failedGrants > 0
            ? failedGrants + " lease grants failed" : r.firstError());
        report.figure(SECTION, s + ".etcd_keepalives_per_renewal",
            keepAlives / Math.max(1, r.latencies().count()), "1",
            "etcd LeaseKeepAlive requests per answered renewal");
        CpuFigures.report(report, SECTION, s, cpu, cores, r.latencies().count(), "keepalive",
            "over the measured window, per answered renewal");
        boolean passed = p99 < P99_LIMIT_MS && errors == 0 && r.latencies().count() > 0;
        double others = cores.getOrDefault("others", 0.0);
        if (!passed && errors == 0 && !retried && others >= ForeignLoad.QUIET_CORES) {
          // As the facade's probe does: other work took CPU in the window, so measure it again.
          report.note(SECTION, n + " leases measured again: other processes used "
              + Figure.format(others) + " cores during the first window");
          retried = true;
          k--;
          continue;
        }
        retried = false;
        if (!passed) {
          report.note(SECTION, n + " leases failed: p99 " + p99 + " ms, errors " + errors);
          break;
        }
        capacity = n;
      }
    }
    report.note(SECTION, "The same open-loop schedule as the facade's probe (lease i renewed "
        + "every 10 s at phase frac(i x golden ratio) x 10 s), sent by this load generator over "
        + "ONE LeaseKeepAlive stream with jetcd's etcd gRPC stubs; leases have TTL 30 s and "
        + "explicit IDs. A step passes with p99 < 50 ms and no error or expired lease.");
    report.figure(SECTION, "raw.capacity.nodes", capacity, "leases",
        "largest step with keep-alive p99 < 50 ms and no errors (the largest step run, if all "
            + "passed)");
  }
}
