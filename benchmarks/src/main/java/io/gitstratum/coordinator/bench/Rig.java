package io.gitstratum.coordinator.bench;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.measure.ForeignLoad;
import io.gitstratum.coordinator.bench.measure.PromText;
import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What every workload runs against: one etcd member (data on disk, default raft timers and
 * fsync), a jetcd client for the raw baselines, and at most one facade replica at a time (in
 * its own JVM). Owns all of them; {@link #close()} stops everything.
 */
public final class Rig implements AutoCloseable {
  private final BenchSettings settings;
  private final TimeBudget budget;
  private LocalEtcdCluster etcd;
  private final Path facadeJar;
  private final Path outDir;
  private final boolean profile;
  private Client jetcd;
  private FacadeProcess facade;

  private Rig(BenchSettings settings, TimeBudget budget, LocalEtcdCluster etcd, Path facadeJar,
      Path outDir, boolean profile) {
    this.settings = settings;
    this.budget = budget;
    this.etcd = etcd;
    this.facadeJar = facadeJar;
    this.outDir = outDir;
    this.profile = profile;
    this.jetcd = newJetcd();
  }

  /**
   * Starts a fresh single-member etcd with its data under {@code outDir/etcd} (deleted first).
   *
   * @param profile record a JFR profile of every facade replica into {@code outDir/profiles}
   */
  public static Rig start(BenchSettings settings, TimeBudget budget, Path facadeJar, Path outDir,
      boolean profile) throws IOException {
    java.nio.file.Files.createDirectories(outDir.resolve("logs"));
    if (profile) {
      writeSamplingSettings(outDir.resolve("profiles"));
    }
    return new Rig(settings, budget, freshEtcd(outDir), facadeJar, outDir, profile);
  }

  private static LocalEtcdCluster freshEtcd(Path outDir) throws IOException {
    Path dataDir = outDir.resolve("etcd");
    deleteTree(dataDir);
    return LocalEtcdCluster.start(LocalEtcdCluster.Options.builder()
        .members(1).baseDir(dataDir).build());
  }

  /**
   * Replaces etcd with a fresh, empty member (same settings), for a workload that has no raw
   * baseline to share an etcd with: it then measures the facade and one etcd rather than what
   * the earlier workloads left in etcd. Stops the facade replica first.
   */
  public void restartEtcdEmpty() throws IOException {
    stopFacade();
    jetcd.close();
    etcd.close();
    etcd = freshEtcd(outDir);
    jetcd = newJetcd();
  }

  public BenchSettings settings() {
    return settings;
  }

  public TimeBudget budget() {
    return budget;
  }

  public String etcdEndpoint() {
    return etcd.member(0).clientEndpoint();
  }

  public long etcdPid() {
    return etcd.member(0).pid().orElseThrow();
  }

  /** The shared jetcd client of the raw baselines. */
  public Client jetcd() {
    return jetcd;
  }

  /** A jetcd client of its own (one more HTTP/2 connection); the caller closes it. */
  public Client newJetcd() {
    return Client.builder().endpoints(etcdEndpoint()).build();
  }

  public PromText etcdMetrics() throws IOException, InterruptedException {
    return PromText.scrape(etcd.member(0).metricsUrl());
  }

  /** etcd's count of open watchers, all clients together. */
  public double etcdWatchers() throws IOException, InterruptedException {
    return etcdMetrics().sum("etcd_debugging_mvcc_watcher_total");
  }

  /**
   * etcd's watcher count once it stops moving (closed watchers leave etcd's count a little after
   * the client closed them), bounded to 10 s.
   */
  public double settledEtcdWatchers() throws IOException, InterruptedException {
    double last = etcdWatchers();
    for (int i = 0; i < 50; i++) {
      Thread.sleep(200);
      double now = etcdWatchers();
      if (now == last) {
        return now;
      }
      last = now;
    }
    return last;
  }

  /** LeaseKeepAlive requests etcd has received so far, all streams together. */
  public double etcdKeepAliveRequests() throws IOException, InterruptedException {
    return etcdMetrics().sum("grpc_server_msg_received_total",
        Map.of("grpc_method", "LeaseKeepAlive"));
  }

  /** Unary requests of {@code method} (such as Txn or LeaseGrant) etcd has handled so far. */
  public double etcdHandled(String method) throws IOException, InterruptedException {
    return etcdMetrics().sum("grpc_server_handled_total", Map.of("grpc_method", method));
  }

  /** LeaseKeepAlive streams etcd has accepted so far. */
  public double etcdKeepAliveStreams() throws IOException, InterruptedException {
    return etcdMetrics().sum("grpc_server_started_total",
        Map.of("grpc_method", "LeaseKeepAlive"));
  }

  /**
   * The benchmark's own processes (this JVM, etcd, the running replica if any), by name, for
   * CPU accounting.
   */
  public Map<String, Long> ownProcesses() {
    Map<String, Long> own = new java.util.LinkedHashMap<>();
    own.put("driver", ProcessHandle.current().pid());
    own.put("etcd", etcdPid());
    if (facade != null) {
      own.put("facade", facade.pid());
    }
    return own;
  }

  /**
   * Waits up to {@code maxWait} for other work on the machine to calm down (see {@link
   * ForeignLoad}); returns the foreign CPU of the last second, in cores.
   */
  public double awaitQuiet(Duration maxWait) throws IOException, InterruptedException {
    return ForeignLoad.awaitQuiet(ownProcesses(), maxWait);
  }

  /** The running replica of {@code profile}, starting it (and stopping any other) if needed. */
  public FacadeProcess facade(FacadeProfile profile) throws IOException, InterruptedException {
    if (facade != null && facade.profile() == profile) {
      return facade;
    }
    stopFacade();
    double watchersBefore = settledEtcdWatchers();
    facade = FacadeProcess.start(facadeJar, profile, etcdEndpoint(), facadeJvmArgs(profile),
        outDir.resolve("logs"), Duration.ofSeconds(90), watchersBefore);
    return facade;
  }

  /**
   * A replica of {@code profile} whose etcd traffic goes to {@code etcdEndpoint} (a fault proxy
   * in front of this rig's etcd), replacing any running one.
   */
  public FacadeProcess facadeVia(FacadeProfile profile, String etcdEndpoint)
      throws IOException, InterruptedException {
    stopFacade();
    facade = FacadeProcess.start(facadeJar, profile, etcdEndpoint, facadeJvmArgs(profile),
        outDir.resolve("logs"), Duration.ofSeconds(90), settledEtcdWatchers());
    return facade;
  }

  /** The GC log of {@code profile}'s replica (unified logging, gc=info). */
  public Path facadeGcLog(FacadeProfile profile) {
    return outDir.resolve("logs/facade-" + profile.cluster() + "-gc.log");
  }

  public void stopFacade() {
    if (facade != null) {
      facade.close();
      facade = null;
    }
  }

  private List<String> facadeJvmArgs(FacadeProfile p) {
    List<String> args = new ArrayList<>();
    // GC pauses are a usual suspect for latency tails; the log lets the report check them.
    args.add("-Xlog:gc:file=" + facadeGcLog(p));
    if (profile) {
      args.add("-XX:StartFlightRecording=settings=" + outDir.resolve("profiles/sampling.jfc")
          + ",filename=" + outDir.resolve("profiles/facade-" + p.cluster() + ".jfr"));
    }
    return args;
  }

  public Path outDir() {
    return outDir;
  }

  @Override
  public void close() {
    stopFacade();
    jetcd.close();
    etcd.close();
  }

  /**
   * JFR's "profile" settings with Java samples every 2 ms instead of every 10 ms: a window of a
   * few seconds otherwise yields too few samples (1 ms slows the replica down too much).
   */
  private static void writeSamplingSettings(Path dir) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    Path source = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
    String settings = java.nio.file.Files.readString(source).replaceAll(
        "(?<head><event name=\"jdk.ExecutionSample\">[\\s\\S]*?<setting name=\"period\"[^>]*>)"
            + "[^<]*(?<tail></setting>)", "${head}2 ms${tail}");
    java.nio.file.Files.writeString(dir.resolve("sampling.jfc"), settings);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!java.nio.file.Files.exists(dir)) {
      return;
    }
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }
}
