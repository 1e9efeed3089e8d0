package io.gitstratum.coordinator.bench;

import io.gitstratum.coordinator.bench.report.Report;

/**
 * One measurement of issue 8 (a raw-etcd baseline or a facade workload). Each is bounded in
 * count and time and cleans up what it started except the facade replica, which {@link Rig}
 * keeps for the next workload of the same profile.
 */
public interface Workload {
  /** The report section its figures go to. */
  String section();

  void run(Rig rig, Report report) throws Exception;
}
