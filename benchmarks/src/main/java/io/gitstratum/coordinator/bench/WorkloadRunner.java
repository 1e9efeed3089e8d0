package io.gitstratum.coordinator.bench;

import io.gitstratum.coordinator.bench.report.Report;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs each workload in a fresh load-generator JVM of its own ({@code BenchmarkMain --workload
 * NAME}), started on the generator's CPU ({@link Pinning}), with its output passing through, and
 * stops it once its budget is spent; then merges the results it saved into the run's report.
 * A workload JVM starts its own etcd and replicas on the server CPU, so no workload inherits
 * another's heap, threads or etcd data.
 */
final class WorkloadRunner {
  /** Past a workload's own budget: its JVM's watchdog (30 s grace) and shutdown hooks (20 s). */
  private static final Duration KILL_AFTER = Duration.ofSeconds(60);
  private static final List<String> GENERATOR_JVM = List.of("-Xms1g", "-Xmx4g");

  private final Pinning pinning;
  private final BenchSettings settings;
  private final List<String> passOn;
  private final Path resultsDir;

  /**
   * @param passOn the options every workload JVM gets (mode, jar, output directory, sizes)
   */
  WorkloadRunner(Pinning pinning, BenchSettings settings, List<String> passOn, Path outDir) {
    this.pinning = pinning;
    this.settings = settings;
    this.passOn = List.copyOf(passOn);
    this.resultsDir = outDir.resolve("results");
  }

  /** A workload's whole allowance: its own budget plus the rig's start and stop. */
  Duration allowance(Workload workload) {
    return workload.budget(settings).plus(Workload.START_AND_STOP);
  }

  /** Runs {@code workload} in its own JVM; adds its figures (or its failure) to {@code report}. */
  void run(Workload workload, Report report) throws IOException, InterruptedException {
    String name = BenchmarkMain.nameOf(workload);
    Path results = resultsDir.resolve(name + ".tsv");
    Files.createDirectories(resultsDir);
    Files.deleteIfExists(results);
    Duration allowance = allowance(workload);
    List<String> cmd = new ArrayList<>(pinning.generatorLauncher());
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(GENERATOR_JVM);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
        BenchmarkMain.class.getName(), "--workload", name, "--pinning", pinning.flag(),
        "--results", results.toString(), "--budget-s", String.valueOf(allowance.toSeconds())));
    cmd.addAll(passOn);
    long start = System.nanoTime();
    Process child = new ProcessBuilder(cmd).inheritIO().start();
    Thread hook = new Thread(child::destroy, "stop-" + name);
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (!child.waitFor(allowance.plus(KILL_AFTER).toMillis(), TimeUnit.MILLISECONDS)) {
        report.failed(workload.section(), new IllegalStateException("stopped: still running "
            + KILL_AFTER.toSeconds() + " s past its budget of " + allowance.toSeconds() + " s"));
        child.destroy(); // its shutdown hooks stop its replica and etcd
        if (!child.waitFor(20, TimeUnit.SECONDS)) {
          child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    double wall = (System.nanoTime() - start) / 1e9;
    if (Files.exists(results)) {
      report.merge(results);
    } else {
      report.failed(workload.section(), new IllegalStateException("its JVM ended (exit "
          + child.exitValue() + ") without saving results"));
    }
    if (child.exitValue() == TimeBudget.EXCEEDED) {
      report.failed(workload.section(), new IllegalStateException("exceeded its budget of "
          + allowance.toSeconds() + " s; figures measured before are kept"));
    }
    report.figure(BenchmarkMain.RIG_SECTION, "rig." + name + ".wall_s", wall, "s",
        "budget " + allowance.toSeconds() + " s (JVM, etcd and replica start included)");
    if (wall > allowance.toSeconds()) {
      report.note(BenchmarkMain.RIG_SECTION, String.format(java.util.Locale.ROOT,
          "%s took %.0f s, over its budget of %d s (the watchdog allows %d s more)", name, wall,
          allowance.toSeconds(), TimeBudget.GRACE.toSeconds()));
    }
  }
}
