package io.gitstratum.coordinator.bench.capacity;

import io.gitstratum.coordinator.bench.BenchSettings;
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
import io.gitstratum.coordinator.bench.report.CpuFigures;
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
  public Duration budget(BenchSettings s) {
    List<Integer> steps = s.capacitySteps();
    Duration total = Duration.ZERO;
    int registered = 0;
    for (int k = 0; k < steps.size(); k++) {
      total = total.plus(needed(steps.get(k) - registered,
          k == steps.size() - 1 ? s.capacityLastHold() : s.capacityHold()));
      registered = Math.max(registered, steps.get(k));
    }
    // One step past the knee at 1.5 x the largest passing step, when the steps did not go there.
    return total.plus(needed(registered / 2, s.capacityHold()));
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
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
    boolean kneeFound = false;
    boolean overloadMeasured = false;
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
        if (!rig.budget().allows(needed(n - registered, hold))) {
          report.note(SECTION, "stopped before " + n + " nodes: the workload's time budget was "
              + "nearly spent");
          break;
        }
        String s = "capacity.n" + n;
        long suspectsBefore = falseSuspects.get();
        Registration reg = register(registrar, load, registered, n);
        if (n > registered) {
          report.figure(SECTION, s + ".register_per_s", reg.perSecond(), "1/s",
              "RegisterNode with 64 callers while the registered nodes heartbeat");
        }
        registered = Math.max(registered, n);
        Window w = measure(rig, facade, load, n, hold);
        long suspects = falseSuspects.get() - suspectsBefore;
        long errors = w.errors() + reg.failures();
        w.report(report, s, errors, w.firstError().isEmpty() ? reg.firstFailure() : w.firstError());
        report.figure(SECTION, s + ".false_suspects", suspects, "1",
            "SUSPECT or DOWN updates on a watch stream, warm interval included");
        if (kneeFound && capacity > 0 && !overloadMeasured && n >= capacity + capacity / 2) {
          reportOverload(report, w, n, capacity, errors, suspects);
          overloadMeasured = true;
        }
        boolean passed = w.p99() < P99_LIMIT_MS && errors == 0 && suspects == 0
            && w.recording().latencies().count() > 0;
        boolean disturbed = w.cores().getOrDefault("others", 0.0) >= ForeignLoad.QUIET_CORES;
        if (!kneeFound && !passed && disturbed && !retried && errors == 0 && suspects == 0) {
          // Other work on the machine took CPU during the window: measure this step once more.
          report.note(SECTION, n + " nodes measured again: other processes used "
              + Figure.format(w.cores().get("others")) + " cores during the first window");
          retried = true;
          k--;
          continue;
        }
        retried = false;
        if (kneeFound) {
          continue; // past the knee: measured to see how the replica degrades
        }
        if (!passed) {
          report.note(SECTION, n + " nodes failed: p99 " + w.p99() + " ms, errors " + errors
              + ", false SUSPECT " + suspects + ", shed " + w.recording().rejected().count()
              + "; the larger steps show the replica past its capacity");
          kneeFound = true;
          continue;
        }
        capacity = n;
        // Heap at the largest passing step, before a harder step can leave debris behind.
        heapAtCapacity = HeapProbe.liveHeapBytes(facade.pid());
      }
      if (capacity > 0 && !overloadMeasured) {
        // No configured step went far enough past the knee: one more at 1.5 x.
        int n = Math.max(registered, capacity + capacity / 2);
        Duration hold = rig.settings().capacityHold();
        if (rig.budget().allows(needed(n - registered, hold))) {
          long suspectsBefore = falseSuspects.get();
          Registration reg = register(registrar, load, registered, n);
          registered = Math.max(registered, n);
          Window w = measure(rig, facade, load, n, hold);
          reportOverload(report, w, n, capacity, w.errors() + reg.failures(),
              falseSuspects.get() - suspectsBefore);
        } else {
          report.note(SECTION, "no step past the knee: the workload's time budget was nearly "
              + "spent");
        }
      }
    }
    report.note(SECTION, "Open loop: node i heartbeats every 10 s at phase frac(i x golden ratio)"
        + " x 10 s, so any number of nodes is spread evenly; latency counts from the scheduled "
        + "send time. Nodes register in chunks of 1,000 and heartbeat from then on. A step passes "
        + "with p99 < 50 ms, no error and no SUSPECT/DOWN on a watch stream (every node keeps "
        + "heartbeating, so any is false). CPU in cores over the measured window, from "
        + "/proc/<pid>/stat: facade = the replica JVM, etcd = the etcd process, driver = this "
        + "load generator. Its raw baseline is the raw capacity probe (same steps, its own "
        + "fresh etcd).");
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

  /** Past the knee: the replica must shed the excess and keep what it accepts fast. */
  private static void reportOverload(Report report, Window w, int n, int capacity, long errors,
      long suspects) {
    String s = "capacity.overload";
    w.report(report, s, errors, w.firstError());
    report.figure(SECTION, s + ".nodes", n, "nodes", Figure.format(n / (double) capacity)
        + " x the largest passing step");
    report.figure(SECTION, s + ".false_suspects", suspects, "1",
        "a refused heartbeat is retried after its RetryInfo; shedding must not cost liveness");
  }

  private static Duration needed(int toRegister, Duration hold) {
    // Registration runs at a few hundred per second here; then warm-up, hold, heap probe.
    return Duration.ofSeconds(toRegister / 300).plus(INTERVAL).plus(hold)
        .plus(Duration.ofSeconds(20));
  }

  private record Registration(long failures, String firstFailure, double perSecond) {}

  /**
   * Registers nodes {@code from..n-1} in chunks, each starting to heartbeat at once (a node that
   * waited for the whole step would outlive its lease and rightly go SUSPECT), then lets one
   * interval pass: every new node's first heartbeat is a JOINING -> ACTIVE write.
   */
  private static Registration register(CoordinatorServiceBlockingStub registrar,
      OpenLoopHeartbeats load, int from, int n) throws InterruptedException {
    if (n <= from) {
      return new Registration(0, "", 0);
    }
    long failures = 0;
    String firstFailure = "";
    long start = System.nanoTime();
    for (int chunk = from; chunk < n; chunk += REGISTER_CHUNK) {
      Parallel.Outcome reg = Parallel.forEach(chunk, Math.min(n, chunk + REGISTER_CHUNK), 64,
          Duration.ofSeconds(60), i -> registrar.withDeadlineAfter(10, TimeUnit.SECONDS)
              .registerNode(Nodes.register(id(i))));
      failures += reg.failures();
      firstFailure = firstFailure.isEmpty() ? reg.firstFailure() : firstFailure;
      load.nodes(Math.min(n, chunk + REGISTER_CHUNK));
    }
    double perSecond = (n - from) / ((System.nanoTime() - start) / 1e9);
    Thread.sleep(INTERVAL.toMillis() + 1_000);
    return new Registration(failures, firstFailure, perSecond);
  }

  /** One measured window of {@code n} nodes heartbeating. */
  private record Window(OpenLoopHeartbeats.Recording recording, Duration hold, CpuShares cpu,
      Map<String, Double> cores, double txns, double keepAlives) {
    double p99() {
      return recording.latencies().percentileMs(99);
    }

    long errors() {
      return recording.errors();
    }

    String firstError() {
      return recording.firstError();
    }

    void report(Report report, String s, long errors, String firstError) {
      long accepted = recording.latencies().count();
      report.figure(SECTION, s + ".heartbeats_per_s", recording.sent() / (double) hold.toSeconds(),
          "1/s", "sent, held " + hold.toSeconds() + " s after one warm interval");
      report.figure(SECTION, s + ".accepted_per_s", accepted / (double) hold.toSeconds(), "1/s",
          "answered OK");
      report.figure(SECTION, s + ".p50_ms", recording.latencies().percentileMs(50), "ms",
          "accepted heartbeats, from the scheduled send time");
      report.figure(SECTION, s + ".p99_ms", p99(), "ms");
      report.figure(SECTION, s + ".max_ms", recording.latencies().maxMs(), "ms");
      report.figure(SECTION, s + ".errors", errors, "1", firstError);
      report.figure(SECTION, s + ".rejected_per_s", recording.rejected().count()
          / (double) hold.toSeconds(), "1/s", "heartbeats refused at once (REPLICA_OVERLOADED), "
          + "each retried once after its RetryInfo");
      report.figure(SECTION, s + ".rejected_p99_ms", recording.rejected().percentileMs(99), "ms",
          "from the scheduled send time to the refusal; target < 10 ms");
      report.figure(SECTION, s + ".etcd_txn_per_s", txns / hold.toSeconds(), "1/s",
          "etcd transactions in the window (writes still going on)");
      report.figure(SECTION, s + ".etcd_keepalives_per_accepted",
          keepAlives / Math.max(1, accepted), "1", "etcd LeaseKeepAlive requests (all clients) "
              + "per accepted heartbeat; target 1");
      CpuFigures.report(report, SECTION, s, cpu, cores, accepted, "heartbeat",
          "over the measured window, per accepted heartbeat");
    }
  }

  private static Window measure(Rig rig, FacadeProcess facade, OpenLoopHeartbeats load, int n,
      Duration hold) throws Exception {
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
    return new Window(r, hold, cpu, cores, txns, keepAlives);
  }

  private static String id(int i) {
    return "cap-" + i;
  }
}
