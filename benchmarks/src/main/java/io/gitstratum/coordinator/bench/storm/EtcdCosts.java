package io.gitstratum.coordinator.bench.storm;

import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.PromText;
import io.gitstratum.coordinator.bench.report.Report;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a storm cost etcd (and the replica), from one snapshot before and one after: CPU of etcd,
 * the replica, this driver and the rest of the machine ({@code others}), and etcd's own counters (raft proposals, puts, requests by method, bytes
 * received), reported per unit of work (per registration, per revived node).
 */
final class EtcdCosts {
  /** etcd counter (name, label filter) by the figure suffix it is reported under. */
  private static final Map<String, Counter> COUNTERS = counters();

  private record Counter(String metric, Map<String, String> labels) {}

  private final Map<String, Double> counts = new LinkedHashMap<>();
  private CpuShares cpu;
  private long startNanos;

  private EtcdCosts() {}

  private static Map<String, Counter> counters() {
    Map<String, Counter> c = new LinkedHashMap<>();
    c.put("etcd_proposals", new Counter("etcd_server_proposals_committed_total", Map.of()));
    c.put("etcd_puts", new Counter("etcd_debugging_mvcc_put_total", Map.of()));
    c.put("etcd_deletes", new Counter("etcd_debugging_mvcc_delete_total", Map.of()));
    for (String method : new String[] {"Txn", "LeaseGrant", "LeaseRevoke", "Range"}) {
      c.put("etcd_" + method.toLowerCase() + "_requests", new Counter("grpc_server_handled_total",
          Map.of("grpc_method", method)));
    }
    c.put("etcd_received_bytes", new Counter("etcd_network_client_grpc_received_bytes_total",
        Map.of()));
    return c;
  }

  /** Snapshots etcd, this driver and, by name, the other processes in {@code pids}. */
  static EtcdCosts begin(Rig rig, Map<String, Long> pids) throws IOException,
      InterruptedException {
    EtcdCosts costs = new EtcdCosts();
    Map<String, Long> all = new LinkedHashMap<>();
    all.put("etcd", rig.etcdPid());
    all.putAll(pids);
    all.put("driver", ProcessHandle.current().pid());
    costs.cpu = CpuShares.begin(all);
    costs.startNanos = System.nanoTime();
    PromText metrics = rig.etcdMetrics();
    COUNTERS.forEach((name, c) -> costs.counts.put(name, metrics.sum(c.metric(), c.labels())));
    return costs;
  }

  /**
   * Reports the deltas since {@link #begin} divided by {@code units}: {@code
   * <prefix>.<process>_cpu_ms_per_<unit>} (core-milliseconds) and {@code
   * <prefix>.<counter>_per_<unit>}.
   */
  void report(Rig rig, Report report, String section, String prefix, long units, String unit)
      throws IOException, InterruptedException {
    PromText metrics = rig.etcdMetrics();
    double n = Math.max(1, units);
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    for (Map.Entry<String, Double> e : cpu.end().entrySet()) {
      report.figure(section, prefix + ".cpu_" + e.getKey() + "_cores", e.getValue(), "cores",
          "over the storm");
      if (!e.getKey().equals("others")) {
        report.figure(section, prefix + "." + e.getKey() + "_cpu_ms_per_" + unit,
            e.getValue() * seconds * 1000 / n, "core-ms",
            "CPU time of the " + e.getKey() + " process over the storm, per " + unit);
      }
    }
    for (Map.Entry<String, Counter> e : COUNTERS.entrySet()) {
      Counter c = e.getValue();
      report.figure(section, prefix + "." + e.getKey() + "_per_" + unit,
          (metrics.sum(c.metric(), c.labels()) - counts.get(e.getKey())) / n,
          e.getKey().endsWith("bytes") ? "B" : "1",
          "etcd /metrics " + c.metric() + (c.labels().isEmpty() ? "" : " " + c.labels())
              + " delta per " + unit);
    }
  }
}
