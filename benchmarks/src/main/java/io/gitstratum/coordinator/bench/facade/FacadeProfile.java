package io.gitstratum.coordinator.bench.facade;

import java.util.List;

/**
 * The facade configurations the workloads need. Each runs on its own cluster prefix, so
 * workloads never see each other's nodes.
 */
public enum FacadeProfile {
  /**
   * RegisterNode and Heartbeat throughput. The suspect timeout is long so that the thousands of
   * nodes registered here never expire during the run: expiring them would put the detector's
   * writes and etcd's lease revocations into later measurements.
   */
  WRITES("bench-writes", List.of("--suspect-timeout", "600s", "--down-timeout", "1200s")),
  /** WatchTopology fan-out; long leases for the same reason as WRITES. */
  WATCH("bench-watch", List.of("--suspect-timeout", "600s", "--down-timeout", "1200s",
      "--max-watchers", "20000")),
  /** Failure detection with the shortest timeouts etcd's lease TTLs allow. */
  DETECT("bench-detect", List.of("--heartbeat-interval", "1s", "--suspect-timeout", "2s",
      "--down-timeout", "4s")),
  /**
   * The registration storm of issue 23: long leases, as for {@link #WRITES}, so that none of
   * its 100,000 nodes expires during the run.
   */
  STORM_REGISTER("bench-storm-register", List.of("--suspect-timeout", "600s",
      "--down-timeout", "1200s")),
  /**
   * The liveness storms of issue 23 (revival, mass silence, confirm-down, deregistration):
   * short liveness so that a fleet goes SUSPECT within seconds, and a down timeout long enough
   * that SUSPECT nodes of a disrupted zone are not DOWN before the storm is measured.
   */
  STORM_LIVENESS("bench-storm-liveness", List.of("--heartbeat-interval", "1s",
      "--suspect-timeout", "3s", "--down-timeout", "6s")),
  /** The capacity probe: the production defaults (heartbeat 10 s, suspect 30 s, down 60 s). */
  CAPACITY("bench-capacity", List.of()),
  /** Start-up on a large prefix, with the production defaults. */
  LARGE("bench-large", List.of());

  private final String cluster;
  private final List<String> args;

  FacadeProfile(String cluster, List<String> args) {
    this.cluster = cluster;
    this.args = args;
  }

  public String cluster() {
    return cluster;
  }

  /** Flags beyond the addresses, endpoints and cluster that every replica gets. */
  public List<String> args() {
    return args;
  }
}
