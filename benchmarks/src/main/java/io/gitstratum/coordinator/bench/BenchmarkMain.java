package io.gitstratum.coordinator.bench;

import io.gitstratum.coordinator.bench.capacity.CapacityWorkload;
import io.gitstratum.coordinator.bench.capacity.StartupWorkload;
import io.gitstratum.coordinator.bench.facade.DetectionWorkload;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.bench.facade.HeartbeatWorkload;
import io.gitstratum.coordinator.bench.facade.RegisterWorkload;
import io.gitstratum.coordinator.bench.facade.WatchWorkload;
import io.gitstratum.coordinator.bench.measure.ForeignLoad;
import io.gitstratum.coordinator.bench.raw.RawCasWorkload;
import io.gitstratum.coordinator.bench.raw.RawKeepAliveWorkload;
import io.gitstratum.coordinator.bench.raw.RawLeaseExpiryWorkload;
import io.gitstratum.coordinator.bench.raw.RawLeaseGrantWorkload;
import io.gitstratum.coordinator.bench.raw.RawWatchWorkload;
import io.gitstratum.coordinator.bench.storm.StormWorkload;
import io.gitstratum.coordinator.bench.report.MachineInfo;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.etcdlocal.EtcdBinary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark of issue 8: every raw-etcd baseline and every facade workload against one local
 * etcd in one run, one {@code name value unit} line per figure, the target checks, and a
 * Markdown report. Normally started by {@code benchmarks/run.sh}.
 *
 * <pre>
 * --quick                 smaller and shorter (a few minutes)
 * --facade-jar PATH       the facade's runnable jar (default facade/target/coordinator-facade.jar)
 * --out DIR               report, logs and etcd data (default benchmarks/target)
 * --only a,b              run only the workloads whose class names contain one of these
 * --capacity-steps a,b    node counts of the capacity probe
 * --storm-nodes r,f       nodes of the registration storm and of the fleet storms (issue 23)
 * --profile               record a JFR profile of each facade replica into DIR/profiles
 * </pre>
 */
public final class BenchmarkMain {
  private static final Logger log = LoggerFactory.getLogger(BenchmarkMain.class);

  /** How long each workload waits for other work on the machine to stop. */
  private static final java.time.Duration QUIET_WAIT = java.time.Duration.ofSeconds(20);

  private BenchmarkMain() {}

  /**
   * In run order: each facade workload close to the baseline it is compared with. Heartbeat
   * comes right after keepAliveOnce and before RegisterNode fills etcd with tens of thousands of
   * nodes: etcd 3.4's cost per keep-alive grows with its heap (mostly Go GC), so both must meet
   * the same etcd. LeaseGrant runs after RegisterNode, whose bound it is; its leases outlive the
   * run so that no revocations disturb later workloads. Storm (issue 23) comes last: it replaces
   * etcd with an empty one and measures its own raw baselines there.
   */
  static List<Workload> workloads() {
    return List.of(new RawCasWorkload(), new RawKeepAliveWorkload(), new HeartbeatWorkload(),
        new RegisterWorkload(), new RawLeaseGrantWorkload(), new RawWatchWorkload(),
        new WatchWorkload(),
        new RawLeaseExpiryWorkload(), new DetectionWorkload(), new CapacityWorkload(),
        new StartupWorkload(), new StormWorkload());
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    BenchSettings settings = options.containsKey("quick") ? BenchSettings.quick()
        : BenchSettings.full();
    if (options.containsKey("capacity-steps")) {
      settings = settings.withCapacitySteps(Arrays.stream(options.get("capacity-steps")
          .split(",")).map(String::trim).map(Integer::parseInt).toList());
    }
    if (options.containsKey("storm-nodes")) {
      List<Integer> n = Arrays.stream(options.get("storm-nodes").split(",")).map(String::trim)
          .map(Integer::parseInt).toList();
      if (n.size() != 2) {
        throw new IllegalArgumentException("--storm-nodes takes two counts: registration,fleet");
      }
      settings = settings.withStormNodes(n.get(0), n.get(1));
    }
    Path out = Path.of(options.getOrDefault("out", "benchmarks/target")).toAbsolutePath();
    Path jar = Path.of(options.getOrDefault("facade-jar",
        "facade/target/coordinator-facade.jar")).toAbsolutePath();
    Optional<List<String>> only = Optional.ofNullable(options.get("only"))
        .map(s -> List.of(s.toLowerCase().split(",")));

    Report report = new Report(System.out);
    Targets.all().forEach(report::target);
    Path etcdBinary = EtcdBinary.require();
    Map<String, String> machine = MachineInfo.describe(etcdBinary, settings.mode());
    Path reportFile = out.resolve("report.md");
    TimeBudget budget = TimeBudget.start(settings.budget(),
        () -> finish(report, reportFile, machine));
    log.info("benchmark ({}): etcd data, logs and report in {}", settings.mode(), out);

    try (Rig rig = Rig.start(settings, budget, jar, out, options.containsKey("profile"))) {
      machine.put("etcd data dir", out.resolve("etcd") + " (on disk, default fsync and timers)");
      machine.put("facade", "one replica at a time, its own JVM (java -jar " + jar.getFileName()
          + "); load generator in another JVM; rate limits off: "
          + String.join(", ", FacadeProcess.RATE_LIMITS) + " = 0");
      for (Workload workload : workloads()) {
        String name = workload.getClass().getSimpleName().toLowerCase();
        if (only.isPresent() && only.get().stream().noneMatch(name::contains)) {
          continue;
        }
        log.info("== {} (time left {} s)", workload.section(), budget.remaining().toSeconds());
        try {
          double foreign = rig.awaitQuiet(QUIET_WAIT);
          if (foreign >= ForeignLoad.QUIET_CORES) {
            report.note(workload.section(), String.format(java.util.Locale.ROOT, "Started while "
                + "other processes used %.2f cores of the machine (waited %d s for quiet).",
                foreign, QUIET_WAIT.toSeconds()));
          }
          workload.run(rig, report);
        } catch (Exception | AssertionError e) {
          log.error("{} failed", workload.section(), e);
          report.failed(workload.section(), e);
        }
      }
    }
    finish(report, reportFile, machine);
    System.exit(report.hasFailures() ? 1 : 0);
  }

  private static void finish(Report report, Path file, Map<String, String> machine) {
    machine.put("load average at end (1/5/15 min)", MachineInfo.loadAverage());
    report.printOutcomes();
    try {
      report.writeMarkdown(file, machine);
      System.out.println("# report: " + file);
    } catch (IOException e) {
      System.err.println("cannot write " + file + ": " + e);
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--quick", "--profile" -> options.put(arg.substring(2), "true");
        case "--facade-jar", "--out", "--only", "--capacity-steps", "--storm-nodes" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(arg + " needs a value");
          }
          options.put(arg.substring(2), args[++i]);
        }
        default -> throw new IllegalArgumentException("unknown option " + arg
            + " (known: --quick --facade-jar --out --only --capacity-steps --storm-nodes "
            + "--profile)");
      }
    }
    return options;
  }
}
