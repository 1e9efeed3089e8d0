package io.gitstratum.coordinator.bench.raw;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeats done with jetcd directly: {@code keepAliveOnce} over 1,000 leases, with 1 and 32
 * callers, and what each call costs etcd (LeaseKeepAlive requests and streams from its
 * /metrics).
 */
public final class RawKeepAliveWorkload implements Workload {
  static final String SECTION = "Raw etcd: keepAliveOnce over 1,000 leases";
  private static final int LEASES = 1_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return s.closedLoops(2).plusSeconds(10); // 1,000 grants, c1, c32
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    Lease lease = rig.jetcd().getLeaseClient();
    List<CompletableFuture<LeaseGrantResponse>> grants = new ArrayList<>(LEASES);
    for (int i = 0; i < LEASES; i++) {
      grants.add(lease.grant(120));
    }
    long[] ids = new long[LEASES];
    for (int i = 0; i < LEASES; i++) {
      ids[i] = grants.get(i).get(30, TimeUnit.SECONDS).getID();
    }
    try {
      for (int callers : new int[] {1, 32}) {
        double requestsBefore = rig.etcdKeepAliveRequests();
        double streamsBefore = rig.etcdKeepAliveStreams();
        CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
            "driver", ProcessHandle.current().pid()));
        var s = rig.settings();
        LoopResult r = ClosedLoop.run("raw-keepalive", callers, s.warmup(), s.window(),
            5_000_000, (caller, seq) -> {
              long id = ids[(int) ((caller + seq * callers) % LEASES)];
              lease.keepAliveOnce(id).get(10, TimeUnit.SECONDS);
            });
        Map<String, Double> cores = cpu.end();
        double requests = rig.etcdKeepAliveRequests() - requestsBefore;
        double streams = rig.etcdKeepAliveStreams() - streamsBefore;
        String c = "raw.keepalive.c" + callers;
        report.figure(SECTION, c + ".per_s", r.perSecond(), "1/s");
        report.figure(SECTION, c + ".p50_ms", r.latencies().percentileMs(50), "ms");
        report.figure(SECTION, c + ".p99_ms", r.latencies().percentileMs(99), "ms");
        report.figure(SECTION, c + ".etcd_requests_per_call", requests / r.totalOps(), "1",
            "delta of etcd grpc_server_msg_received_total{grpc_method=LeaseKeepAlive}");
        report.figure(SECTION, c + ".etcd_streams_per_call", streams / r.totalOps(), "1",
            "delta of etcd grpc_server_started_total{grpc_method=LeaseKeepAlive}");
        if (r.errors() > 0) {
          report.figure(SECTION, c + ".errors", r.errors(), "1", r.firstError());
        }
        CpuFigures.report(report, SECTION, c, cpu, cores, r.totalOps(), "keepalive",
            "warm-up and window");
      }
    } finally {
      List<CompletableFuture<?>> revokes = new ArrayList<>();
      for (long id : ids) {
        revokes.add(lease.revoke(id));
      }
      CompletableFuture.allOf(revokes.toArray(CompletableFuture[]::new))
          .get(30, TimeUnit.SECONDS);
    }
  }
}
