package io.gitstratum.coordinator.bench.report;

import io.gitstratum.coordinator.bench.measure.CpuShares;
import java.util.Map;

/**
 * The CPU figures of one measured window: each process's cores and its CPU per operation, the
 * number that says what an operation costs the replica, etcd and the load generator.
 */
public final class CpuFigures {
  private CpuFigures() {}

  /**
   * Records the window's times (for profiles) and prints {@code prefix.cpu_<process>_cores}
   * for every process of the window and
   * {@code prefix.cpu_<process>_us_per_<op>} (CPU microseconds per operation: user + system time
   * from /proc over the window, divided by {@code ops}) for each but {@code others}.
   *
   * @param cores what {@code window.end()} returned
   * @param ops operations done in the window (warm-up included when the window includes it)
   * @param op the operation's name in the figure, such as {@code heartbeat}
   * @param during what the window covers, for the note
   */
  public static void report(Report report, String section, String prefix, CpuShares window,
      Map<String, Double> cores, double ops, String op, String during) {
    report.window(prefix, window.startEpochMs(), window.endEpochMs());
    cores.forEach((name, value) -> report.figure(section, prefix + ".cpu_" + name + "_cores",
        value, "cores", during));
    if (ops <= 0) {
      return;
    }
    cores.forEach((name, value) -> {
      if (!name.equals("others")) {
        report.figure(section, prefix + ".cpu_" + name + "_us_per_" + op,
            value * window.wallSeconds() * 1e6 / ops, "us", "CPU of " + name + " per " + op
                + ", " + during);
      }
    });
  }
}
