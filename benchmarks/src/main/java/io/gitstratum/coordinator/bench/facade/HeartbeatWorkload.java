package io.gitstratum.coordinator.bench.facade;

import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.measure.Parallel;
import io.gitstratum.coordinator.bench.measure.PromText;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeat over 1,000 registered, ACTIVE nodes with 1 and 32 callers, and what each heartbeat
 * costs etcd (LeaseKeepAlive requests and streams from etcd's /metrics).
 */
public final class HeartbeatWorkload implements Workload {
  static final String SECTION = "Facade: Heartbeat over 1,000 nodes";
  private static final int NODES = 1_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return s.facadeWarmup().plus(s.closedLoops(2)).plusSeconds(15); // 1,000 nodes set up
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    FacadeProcess facade = rig.facade(FacadeProfile.WRITES);
    CoordinatorServiceBlockingStub stub = CoordinatorServiceGrpc.newBlockingStub(
        facade.newChannel());
    // Built once: the callers allocate nothing per heartbeat but what gRPC does.
    HeartbeatRequest[] beats = new HeartbeatRequest[NODES];
    for (int i = 0; i < NODES; i++) {
      beats[i] = Nodes.beat(id(i));
    }
    Parallel.Outcome registered = Parallel.forEach(0, NODES, 32, Duration.ofSeconds(60),
        i -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).registerNode(Nodes.register(id(i))));
    // The first heartbeat moves a node JOINING -> ACTIVE (a write); the measured ones renew only.
    Parallel.Outcome activated = Parallel.forEach(0, NODES, 32, Duration.ofSeconds(60),
        i -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).heartbeat(beats[i]));
    if (registered.failures() + activated.failures() > 0) {
      throw new IllegalStateException("setup failed: " + registered + " " + activated);
    }
    ClosedLoop.run("heartbeat-warmup", 32, Duration.ZERO, rig.settings().facadeWarmup(),
        5_000_000, (caller, seq) -> stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .heartbeat(beats[(int) ((caller + seq * 32) % NODES)]));
    report.note(SECTION, "1,000 registered nodes, made ACTIVE by one heartbeat each before "
        + "measuring; then callers heartbeat them round robin, so every measured heartbeat is a "
        + "routine one (the lease renewal over the replica's shared LeaseKeepAlive stream).");
    for (int callers : new int[] {1, 32}) {
      String c = "facade.heartbeat.c" + callers;
      double requestsBefore = rig.etcdKeepAliveRequests();
      double streamsBefore = rig.etcdKeepAliveStreams();
      PromText before = PromText.scrape(facade.metricsUrl());
      CpuShares cpu = CpuShares.begin(Map.of("facade", facade.pid(), "etcd", rig.etcdPid(),
          "driver", ProcessHandle.current().pid()));
      var s = rig.settings();
      LoopResult r = ClosedLoop.run("heartbeat", callers, s.warmup(), s.window(), 5_000_000,
          (caller, seq) -> stub.withDeadlineAfter(10, TimeUnit.SECONDS)
              .heartbeat(beats[(int) ((caller + seq * callers) % NODES)]));
      Map<String, Double> cores = cpu.end();
      double requests = rig.etcdKeepAliveRequests() - requestsBefore;
      double streams = rig.etcdKeepAliveStreams() - streamsBefore;
      PromText after = PromText.scrape(facade.metricsUrl());
      report.figure(SECTION, c + ".per_s", r.perSecond(), "1/s");
      report.figure(SECTION, c + ".p50_ms", r.latencies().percentileMs(50), "ms");
      report.figure(SECTION, c + ".p99_ms", r.latencies().percentileMs(99), "ms");
      report.figure(SECTION, c + ".etcd_requests_per_heartbeat", requests / r.totalOps(), "1",
          "delta of etcd grpc_server_msg_received_total{grpc_method=LeaseKeepAlive}, all "
              + "clients (the replica's own session keep-alives included)");
      report.figure(SECTION, c + ".etcd_streams_per_heartbeat", streams / r.totalOps(), "1",
          "delta of etcd grpc_server_started_total{grpc_method=LeaseKeepAlive}");
      report.figure(SECTION, c + ".writes_per_heartbeat",
          (after.sum("gitstratum_coordinator_heartbeats_total", Map.of("outcome", "written"))
              - before.sum("gitstratum_coordinator_heartbeats_total",
                  Map.of("outcome", "written"))) / r.totalOps(), "1",
          "heartbeats that went through the write path (facade /metrics)");
      report.figure(SECTION, c + ".errors", r.errors(), "1", r.firstError());
      CpuFigures.report(report, SECTION, c, cpu, cores, r.totalOps(), "heartbeat",
          "warm-up and window");
    }
  }

  private static String id(int i) {
    return "hb-" + i;
  }
}
