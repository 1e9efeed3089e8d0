package io.gitstratum.coordinator.bench;

import io.gitstratum.coordinator.bench.capacity.CapacityWorkload;
import io.gitstratum.coordinator.bench.capacity.RawCapacityWorkload;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark (issues 8, 23, 26): every raw-etcd baseline and every facade workload, one
 * {@code name value unit} line per figure, the target checks, and a Markdown report. Normally
 * started by {@code benchmarks/run.sh}.
 *
 * <p>Two modes. Without {@code --workload} it is the runner: it decides the pinning, states the
 * run's budget, and runs each selected workload in a fresh JVM of its own ({@link
 * WorkloadRunner}), then prints the targets and writes the report. With {@code --workload NAME}
 * it is that workload's load generator: it starts its own {@link Rig} (etcd and replicas on the
 * server CPU), runs the one workload within its budget and saves the figures for the runner.
 *
 * <pre>
 * --quick                 smaller and shorter
 * --facade-jar PATH       the facade's runnable jar (default facade/target/coordinator-facade.jar)
 * --out DIR               report, logs and etcd data (default benchmarks/target)
 * --only a,b              run only the workloads whose names contain one of these
 * --capacity-steps a,b    node counts of the capacity probes (facade and raw)
 * --storm-nodes r,f       nodes of the registration storm and of the fleet storms (issue 23)
 * --profile               record a JFR profile of each facade replica into DIR/profiles
 * --no-pin                run unpinned even where taskset and two CPUs are there
 * --plan                  print the pinning and each selected workload's budget, run nothing
 * </pre>
 */
public final class BenchmarkMain {
  private static final Logger log = LoggerFactory.getLogger(BenchmarkMain.class);

  /** The report section of the rig: pinning, each workload's processes, CPU and time. */
  static final String RIG_SECTION = "Rig: pinning, processes, CPU and time per workload";

  /** How long each workload waits for other work on the machine to stop. */
  private static final Duration QUIET_WAIT = Duration.ofSeconds(10);

  private BenchmarkMain() {}

  /**
   * In run order, each facade workload close to the baseline it is compared with. Each runs on a
   * fresh etcd of its own, so the order no longer changes what a workload meets.
   */
  static List<Workload> workloads() {
    return List.of(new RawCasWorkload(), new RawKeepAliveWorkload(), new HeartbeatWorkload(),
        new RegisterWorkload(), new RawLeaseGrantWorkload(), new RawWatchWorkload(),
        new WatchWorkload(),
        new RawLeaseExpiryWorkload(), new DetectionWorkload(), new RawCapacityWorkload(),
        new CapacityWorkload(), new StartupWorkload(), new StormWorkload());
  }

  /** A workload's name on the command line and in file names: {@code rawkeepalive}. */
  static String nameOf(Workload workload) {
    return workload.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
        .replaceFirst("workload$", "");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    BenchSettings settings = settings(options);
    Path out = Path.of(options.getOrDefault("out", "benchmarks/target")).toAbsolutePath();
    Path jar = Path.of(options.getOrDefault("facade-jar",
        "facade/target/coordinator-facade.jar")).toAbsolutePath();
    if (options.containsKey("workload")) {
      System.exit(runOne(options, settings, out, jar));
    }
    Optional<List<String>> only = Optional.ofNullable(options.get("only"))
        .map(s -> List.of(s.toLowerCase(java.util.Locale.ROOT).split(",")));
    List<Workload> selected = workloads().stream()
        .filter(w -> only.isEmpty() || only.get().stream().anyMatch(nameOf(w)::contains))
        .toList();
    Pinning pinning = options.containsKey("no-pin") ? Pinning.off("--no-pin")
        : Pinning.detect();
    List<String> passOn = new ArrayList<>(List.of("--out", out.toString(), "--facade-jar",
        jar.toString()));
    for (String flag : List.of("quick", "profile")) {
      if (options.containsKey(flag)) {
        passOn.add("--" + flag);
      }
    }
    for (String option : List.of("capacity-steps", "storm-nodes")) {
      if (options.containsKey(option)) {
        passOn.addAll(List.of("--" + option, options.get(option)));
      }
    }
    WorkloadRunner runner = new WorkloadRunner(pinning, settings, passOn, out);
    Duration budget = selected.stream().map(runner::allowance).reduce(Duration.ZERO,
        Duration::plus);

    Report report = new Report(System.out);
    Targets.all().forEach(report::target);
    Map<String, String> machine = MachineInfo.describe(EtcdBinary.require(), settings.mode());
    machine.put("pinning", pinning.describe());
    machine.put("budget", budget.toSeconds() + " s for " + selected.size() + " workloads, each "
        + "stopped once its own budget is spent (see the rig section)");
    machine.put("etcd data dir", out.resolve("etcd") + " (on disk, default fsync and timers; a "
        + "fresh member for each workload)");
    machine.put("facade", "one replica at a time, its own JVM (java -jar " + jar.getFileName()
        + "); each workload's load generator in a fresh JVM; rate limits off: "
        + String.join(", ", FacadeProcess.RATE_LIMITS) + " = 0");
    System.out.println("# pinning: " + pinning.describe());
    System.out.println("# budget: " + budget.toSeconds() + " s for " + selected.size()
        + " workloads: " + selected.stream().map(w -> nameOf(w) + " "
            + runner.allowance(w).toSeconds() + " s").toList());
    if (options.containsKey("plan")) {
      System.exit(0);
    }
    log.info("benchmark ({}): etcd data, logs and report in {}", settings.mode(), out);
    long start = System.nanoTime();
    for (Workload workload : selected) {
      log.info("== {} (budget {} s; run so far {} s of {} s)", workload.section(),
          runner.allowance(workload).toSeconds(), (System.nanoTime() - start) / 1_000_000_000L,
          budget.toSeconds());
      try {
        runner.run(workload, report);
      } catch (IOException e) {
        log.error("{} could not run", workload.section(), e);
        report.failed(workload.section(), e);
      }
    }
    report.figure(RIG_SECTION, "rig.run.wall_s", (System.nanoTime() - start) / 1e9, "s",
        "budget " + budget.toSeconds() + " s");
    machine.put("load average at end (1/5/15 min)", MachineInfo.loadAverage());
    report.printOutcomes();
    Path reportFile = out.resolve("report.md");
    report.writeMarkdown(reportFile, machine);
    System.out.println("# report: " + reportFile);
    System.exit(report.hasFailures() ? 1 : 0);
  }

  /**
   * The workload-JVM mode: one workload on a rig of its own, within its budget; saves what it
   * measured (also when the watchdog stops it) to {@code --results}. Returns the exit code.
   */
  private static int runOne(Map<String, String> options, BenchSettings settings, Path out,
      Path jar) throws Exception {
    String name = options.get("workload");
    Workload workload = workloads().stream().filter(w -> nameOf(w).equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no workload " + name + "; known: "
            + workloads().stream().map(BenchmarkMain::nameOf).toList()));
    Path results = Path.of(options.get("results"));
    Pinning pinning = Pinning.parse(options.getOrDefault("pinning", "off:not given"));
    Report report = new Report(System.out);
    TimeBudget budget = TimeBudget.start(Duration.ofSeconds(Long.parseLong(
        options.get("budget-s"))), () -> save(report, results));
    try (Rig rig = Rig.start(settings, budget, jar, out, options.containsKey("profile"),
        pinning, name)) {
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
      rig.cpuSeconds().forEach((process, seconds) -> report.figure(RIG_SECTION,
          "rig." + name + ".cpu_" + process + "_s", seconds, "s",
          "CPU (user + system, /proc/<pid>/stat) over the process's life in this workload"));
      String placement = name + ": " + String.join("; ", rig.placement().entrySet().stream()
          .map(e -> e.getKey() + " " + e.getValue()).sorted().toList());
      report.note(RIG_SECTION, placement);
      System.out.println("# rig " + placement);
    } catch (Exception e) {
      log.error("{}: the rig failed", workload.section(), e);
      report.failed(workload.section(), e);
    }
    save(report, results);
    return 0;
  }

  private static void save(Report report, Path results) {
    try {
      report.save(results);
    } catch (IOException e) {
      System.err.println("cannot write " + results + ": " + e);
    }
  }

  private static BenchSettings settings(Map<String, String> options) {
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
    return settings;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--quick", "--profile", "--no-pin", "--plan" -> options.put(arg.substring(2), "true");
        case "--facade-jar", "--out", "--only", "--capacity-steps", "--storm-nodes",
            "--workload", "--pinning", "--results", "--budget-s" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(arg + " needs a value");
          }
          options.put(arg.substring(2), args[++i]);
        }
        default -> throw new IllegalArgumentException("unknown option " + arg
            + " (known: --quick --facade-jar --out --only --capacity-steps --storm-nodes "
            + "--profile --no-pin --plan)");
      }
    }
    return options;
  }
}
