package io.gitstratum.coordinator.bench.measure;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * Waits, a bounded time, until the machine is quiet apart from the benchmark's own processes:
 * other work on a two-core machine (a build, a test suite) would otherwise land in the
 * measurements. Measured like {@link CpuShares}'s {@code others}, over one-second windows.
 */
public final class ForeignLoad {
  /** Foreign CPU, in cores, below which the machine counts as quiet. */
  public static final double QUIET_CORES = 0.25;

  private ForeignLoad() {}

  /**
   * Returns once one second passed with less than {@link #QUIET_CORES} of foreign CPU, or when
   * {@code maxWait} is spent.
   *
   * @param own the benchmark's processes (name → pid)
   * @return the foreign CPU of the last window, in cores
   */
  public static double awaitQuiet(Map<String, Long> own, Duration maxWait)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + maxWait.toNanos();
    double others;
    do {
      CpuShares window = CpuShares.begin(own);
      Thread.sleep(1_000);
      others = window.end().get("others");
    } while (others >= QUIET_CORES && System.nanoTime() < deadline);
    return others;
  }
}
