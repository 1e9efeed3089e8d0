package io.gitstratum.coordinator.bench;

import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;

/**
 * One measurement (a raw-etcd baseline or a facade workload). Each runs in a load-generator JVM
 * of its own, against a {@link Rig} of its own (fresh etcd, its own replicas), is bounded in
 * count and time, and cleans up what it started except the facade replica, which {@link Rig}
 * keeps for the next measurement of the same profile and stops at the end.
 */
public interface Workload {
  /**
   * What every workload's JVM spends besides {@link #budget}: JVM and etcd start, the wait for a
   * quiet machine (at most 10 s), the first replica's start (about 6 s, up to 15 on a busy
   * machine) and stopping it all.
   */
  Duration START_AND_STOP = Duration.ofSeconds(40);

  /** The report section its figures go to. */
  String section();

  /**
   * How long {@link #run} may take with {@code settings} on two busy cores (the rig's start and
   * stop excluded): the runner stops the workload's JVM once this plus {@link #START_AND_STOP}
   * is spent, and a workload that can shorten itself asks {@link Rig#budget()}.
   */
  Duration budget(BenchSettings settings);

  void run(Rig rig, Report report) throws Exception;
}
