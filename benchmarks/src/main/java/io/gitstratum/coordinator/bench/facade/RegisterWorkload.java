package io.gitstratum.coordinator.bench.facade;

import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.measure.PromText;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * RegisterNode of distinct new nodes with 1 and 32 callers on one replica: the path group
 * commit exists for. Also checks, from the answers, that every caller got its own version.
 */
public final class RegisterWorkload implements Workload {
  static final String SECTION = "Facade: RegisterNode";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return s.facadeWarmup().plus(s.closedLoops(2)).plusSeconds(10);
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    FacadeProcess facade = rig.facade(FacadeProfile.WRITES);
    CoordinatorServiceBlockingStub stub = CoordinatorServiceGrpc.newBlockingStub(
        facade.newChannel());
    // Unmeasured: a fresh replica JVM is interpreted code at first.
    ClosedLoop.run("register-warmup", 32, Duration.ZERO, rig.settings().facadeWarmup(),
        5_000_000, (caller, seq) -> stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .registerNode(Nodes.register("warm-" + caller + "-" + seq)));
    for (int callers : new int[] {1, 32}) {
      String c = "facade.register.c" + callers;
      Set<Long> versions = ConcurrentHashMap.newKeySet();
      PromText before = PromText.scrape(facade.metricsUrl());
      CpuShares cpu = CpuShares.begin(Map.of("facade", facade.pid(), "etcd", rig.etcdPid(),
          "driver", ProcessHandle.current().pid()));
      var s = rig.settings();
      LoopResult r = ClosedLoop.run("register", callers, s.warmup(), s.window(), 5_000_000,
          (caller, seq) -> {
            RegisterNodeResponse answer = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                .registerNode(Nodes.register("reg-c" + callers + "-" + caller + "-" + seq));
            if (answer.getAlreadyRegistered() || !versions.add(answer.getTopologyVersion())) {
              throw new IllegalStateException("not a fresh registration with a version of its own: "
                  + answer);
            }
          });
      Map<String, Double> cores = cpu.end();
      PromText after = PromText.scrape(facade.metricsUrl());
      double batches = delta(before, after, "gitstratum_coordinator_commit_batch_size_count");
      double commands = delta(before, after, "gitstratum_coordinator_commit_batch_size_sum");
      report.figure(SECTION, c + ".per_s", r.perSecond(), "1/s", "distinct new nodes");
      report.figure(SECTION, c + ".p50_ms", r.latencies().percentileMs(50), "ms");
      report.figure(SECTION, c + ".p99_ms", r.latencies().percentileMs(99), "ms");
      report.figure(SECTION, c + ".mean_batch", batches == 0 ? 0 : commands / batches, "1",
          "commands per group-commit transaction (facade /metrics)");
      report.figure(SECTION, c + ".cas_conflicts", delta(before, after,
          "gitstratum_coordinator_cas_conflicts_total"), "1");
      for (String op : new String[] {"lease_grant", "topology_commit"}) {
        report.figure(SECTION, c + ".etcd_" + op + "_mean_ms",
            meanMs(before, after, "gitstratum_coordinator_etcd_request_duration_seconds", op), "ms",
            "as the replica times it (facade /metrics)");
      }
      report.figure(SECTION, c + ".errors", r.errors(), "1", r.firstError());
      CpuFigures.report(report, SECTION, c, cpu, cores, r.totalOps(), "registration",
          "warm-up and window");
    }
    report.note(SECTION, "Each registration grants the node's lease (one etcd request) and "
        + "commits through the replica's group-commit writer; the call answers once the "
        + "replica's cache holds the change. The replica runs in its own JVM.");
  }

  /** Mean of a seconds histogram's observations between two scrapes, in milliseconds. */
  static double meanMs(PromText before, PromText after, String histogram, String operation) {
    Map<String, String> label = Map.of("operation", operation);
    double count = after.sum(histogram + "_count", label) - before.sum(histogram + "_count", label);
    double sum = after.sum(histogram + "_sum", label) - before.sum(histogram + "_sum", label);
    return count == 0 ? Double.NaN : sum / count * 1000;
  }

  static double delta(PromText before, PromText after, String name) {
    return after.sum(name) - before.sum(name);
  }
}
