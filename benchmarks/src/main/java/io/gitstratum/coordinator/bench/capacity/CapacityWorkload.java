package io.gitstratum.coordinator.bench.capacity;

import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.facade.Nodes;
import io.gitstratum.coordinator.bench.facade.StateWatch;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.ForeignLoad;
import io.gitstratum.coordinator.bench.measure.HeapProbe;
import io.gitstratum.coordinator.bench.measure.Parallel;
import io.gitstratum.coordinator.bench.measure.ProcessCpu;
import io.gitstratum.coordinator.bench.report.Figure;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceStub;
import io.gitstratum.coordinator.proto.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The capacity probe: how many nodes heartbeating every 10 s (open loop, spread evenly) one
 * replica and one etcd carry with heartbeat p99 under 50 ms, no errors and no false SUSPECT.
 * Steps up through the configured node counts; each step registers its new nodes, lets one
 * interval pass (the new nodes' first heartbeats are JOINING → ACTIVE writes), then measures.
 * Stops at the first step that fails. Every node keeps heartbeating, so any SUSPECT or DOWN seen
 * on a watch stream is a false one.
 */
public final class CapacityWorkload implements Workload {
  static final String SECTION = "Facade: capacity (heartbeat every 10 s, open loop)";
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final double P99_LIMIT_MS = 50;
  private static final int CHANNELS = 4;
  private static final int REGISTER_CHUNK = 1_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    // No baseline shares this etcd, so it starts empty: the earlier workloads leave hundreds of
    // thousands of revisions and tens of thousands of idle leases behind, which roughly triple
    // etcd's CPU per keep-alive (measured: about 1 core at 2,500 heartbeats/s against 0.3-0.4
    // on an empty etcd at 3,000/s).
    rig.restartEtcdEmpty();
    FacadeProcess facade = rig.facade(FacadeProfile.CAPACITY);
    long heapEmpty = HeapProbe.liveHeapBytes(facade.pid());
    CoordinatorServiceBlockingStub registrar = CoordinatorServiceGrpc.newBlockingStub(
        facade.newChannel());
    List<CoordinatorServiceStub> stubs = new ArrayList<>();
    for (int i = 0; i < CHANNELS; i++) {
      stubs.add(CoordinatorServiceGrpc.newStub(facade.newChannel()));
    }
    AtomicLong falseSuspects = new AtomicLong();
    List<Integer> steps = rig.settings().capacitySteps();
    int registered = 0;
    int capacity = 0;
    boolean retried = false;
    long heapAtCapacity = -1;
    try (StateWatch watch = StateWatch.open(facade.newChannel(), node -> {
          if (node.getState() == NodeState.NODE_STATE_SUSPECT
              || node.getState() == NodeState.NODE_STATE_DOWN) {
            falseSuspects.incrementAndGet();
          }
        });
        OpenLoopHeartbeats load = new OpenLoopHeartbeats(stubs, CapacityWorkload::id, INTERVAL)) {
      for (int k = 0; k < steps.size(); k++) {
        int n = steps.get(k);
        Duration hold = k == steps.size() - 1 ? rig.settings().capacityLastHold()
            : rig.settings().capacityHold();
        // Registration runs at a few hundred per second here; then warm-up, hold, heap probe.
        Duration needed = Duration.ofSeconds((n - registered) / 300).plus(INTERVAL).plus(hold)
            .plus(Duration.ofSeconds(20));
        if (!rig.budget().allows(needed)) {
          report.note(SECTION, "stopped before " + n + " nodes: the run's time budget was "
              + "nearly spent");
          break;
        }
        String s = "capacity.n" + n;
        long suspectsBefore = falseSuspects.get();
        int from = registered;
        // In chunks, each starting to heartbeat at once: a node that waited for the whole step
        // to register would outlive its lease (the suspect timeout) and rightly go SUSPECT.
        long regFailures = 0;
        String regFirstFailure = "";
        if (n > from) {
          long regStart = System.nanoTime();
          for (int chunk = from; chunk < n; chunk += REGISTER_CHUNK) {
            Parallel.Outcome reg = Parallel.forEach(chunk, Math.min(n, chunk + REGISTER_CHUNK),
                64, Duration.ofSeconds(60), i -> registrar.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .registerNode(Nodes.register(id(i))));
            regFailures += reg.failures();
            regFirstFailure = regFirstFailure.isEmpty() ? reg.firstFailure() : regFirstFailure;
            load.nodes(Math.min(n, chunk + REGISTER_CHUNK));
          }
          registered = n;
          report.figure(SECTION, s + ".register_per_s", (n - from)
              / ((System.nanoTime() - regStart) / 1e9), "1/s",
              "RegisterNode with 64 callers while the registered nodes heartbeat");
          Thread.sleep(INTERVAL.toMillis() + 1_000); // every node's first heartbeat is a write
        }
        rig.awaitQuiet(Duration.ofSeconds(10));
        CpuShares cpu = CpuShares.begin(Map.of("facade", facade.pid(), "etcd", rig.etcdPid(),
            "driver", ProcessHandle.current().pid()));
        double txnsBefore = rig.etcdHandled("Txn");
        double keepAlivesBefore = rig.etcdKeepAliveRequests();
        OpenLoopHeartbeats.Recording r = load.record(
            (int) Math.min(4_000_000, n * (hold.toSeconds() / INTERVAL.toSeconds() + 2)));
        Thread.sleep(hold.toMillis());
        load.stopRecording();
        Map<String, Double> cores = cpu.end();
        double txns = rig.etcdHandled("Txn") - txnsBefore;
        double keepAlives = rig.etcdKeepAliveRequests() - keepAlivesBefore;
        Thread.sleep(1_000); // answers to the last heartbeats of the window
        long suspects = falseSuspects.get() - suspectsBefore;
        double p99 = r.latencies().percentileMs(99);
        long errors = r.errors() + regFailures;
        report.figure(SECTION, s + ".heartbeats_per_s", r.sent() / (double) hold.toSeconds(),
            "1/s", "held " + hold.toSeconds() + " s after one warm interval");
        report.figure(SECTION, s + ".p50_ms", r.latencies().percentileMs(50), "ms",
            "from the scheduled send time");
        report.figure(SECTION, s + ".p99_ms", p99, "ms");
        report.figure(SECTION, s + ".max_ms", r.latencies().maxMs(), "ms");
        report.figure(SECTION, s + ".errors", errors, "1",
            r.firstError().isEmpty() ? regFirstFailure : r.firstError());
        report.figure(SECTION, s + ".false_suspects", suspects, "1",
            "SUSPECT or DOWN updates on a watch stream, warm interval included");
        report.figure(SECTION, s + ".etcd_txn_per_s", txns / hold.toSeconds(), "1/s",
            "etcd transactions in the window (writes still going on)");
        report.figure(SECTION, s + ".etcd_keepalives_per_heartbeat",
            keepAlives / Math.max(1, r.sent()), "1");
        cores.forEach((name, value) -> report.figure(SECTION, s + ".cpu_" + name + "_cores",
            value, "cores", "of " + Runtime.getRuntime().availableProcessors()
                + " cores, over the measured window"));
        boolean passed = p99 < P99_LIMIT_MS && errors == 0 && suspects == 0
            && r.latencies().count() > 0;
        boolean disturbed = cores.getOrDefault("others", 0.0) >= ForeignLoad.QUIET_CORES;
        if (!passed && disturbed && !retried && errors == 0 && suspects == 0) {
          // Other work on the machine took CPU during the window: measure this step once more.
          report.note(SECTION, n + " nodes measured again: other processes used "
              + Figure.format(cores.get("others")) + " cores during the first window");
          retried = true;
          k--;
          continue;
        }
        retried = false;
        if (!passed) {
          report.note(SECTION, n + " nodes failed: p99 " + p99 + " ms, errors " + errors
              + ", false SUSPECT " + suspects);
          break;
        }
        capacity = n;
        // Heap at the largest passing step, before a harder step can leave debris behind.
        heapAtCapacity = HeapProbe.liveHeapBytes(facade.pid());
      }
    }
    report.note(SECTION, "Open loop: node i heartbeats every 10 s at phase frac(i x golden ratio)"
        + " x 10 s, so any number of nodes is spread evenly; latency counts from the scheduled "
        + "send time. Nodes register in chunks of 1,000 and heartbeat from then on. A step passes "
        + "with p99 < 50 ms, no error and no SUSPECT/DOWN on a watch stream (every node keeps "
        + "heartbeating, so any is false). CPU in cores over the measured window, from "
        + "/proc/<pid>/stat (this machine has " + Runtime.getRuntime().availableProcessors()
        + "): facade = the replica JVM, etcd = the etcd process, driver = this load generator. "
        + "The probe has no raw baseline to share an etcd with, so it starts on an empty etcd "
        + "member (same settings) instead of the one the earlier workloads filled.");
    report.figure(SECTION, "facade.capacity.nodes", capacity, "nodes",
        "largest step with heartbeat p99 < 50 ms, no errors, no false SUSPECT");
    if (capacity > 0) {
      report.figure(SECTION, "facade.heap_per_node_bytes",
          (double) (heapAtCapacity - heapEmpty) / capacity, "B", "live heap after full GC "
              + "(jcmd GC.run; GC.heap_info) with " + capacity + " heartbeating nodes minus with "
              + "none, / " + capacity + " (includes the cache, liveness keys and leases)");
    }
    if (registered > 0) {
      report.figure(SECTION, "facade.capacity.rss_mb", ProcessCpu.rssBytes(facade.pid()) / 1e6,
          "MB", "replica VmRSS at the end");
    }
    rig.stopFacade(); // its nodes stop heartbeating now; the detector would get busy
  }

  private static String id(int i) {
    return "cap-" + i;
  }
}
