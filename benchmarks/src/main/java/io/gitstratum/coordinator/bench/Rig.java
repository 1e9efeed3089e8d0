package io.gitstratum.coordinator.bench;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.measure.ForeignLoad;
import io.gitstratum.coordinator.bench.measure.ProcessCpu;
import io.gitstratum.coordinator.bench.measure.PromText;
import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one workload runs against, inside that workload's load-generator JVM: one fresh etcd
 * member (data on disk, default raft timers and fsync), a jetcd client for the raw baselines, and
 * at most one facade replica at a time (in its own JVM). etcd and the replica are pinned to the
 * server CPU ({@link Pinning}). Owns all of them; {@link #close()} stops everything. Keeps the
 * CPU each process used over its life ({@link #cpuSeconds()}) and where it ran.
 */
public final class Rig implements AutoCloseable {
  private final BenchSettings settings;
  private final TimeBudget budget;
  private final Path facadeJar;
  private final Path outDir;
  private final boolean profile;
  private LocalEtcdCluster etcd;
  private final Pinning pinning;
  private final String tag;
  private final Map<String, Double> cpuSeconds = new java.util.LinkedHashMap<>();
  private final Map<String, String> placement = new java.util.LinkedHashMap<>();
  private Client jetcd;
  private FacadeProcess facade;

  private Rig(BenchSettings settings, TimeBudget budget, Path facadeJar, Path outDir,
      boolean profile, Pinning pinning, String tag) throws IOException, InterruptedException {
    this.settings = settings;
    this.budget = budget;
    this.facadeJar = facadeJar;
    this.outDir = outDir;
    this.profile = profile;
    this.pinning = pinning;
    this.tag = tag;
    long self = ProcessHandle.current().pid();
    placement.put("driver", "pid " + self + " on CPU " + Pinning.cpusAllowed(self));
    this.etcd = freshEtcd();
    this.jetcd = newJetcd();
  }

  /**
   * Starts a fresh single-member etcd with its data under {@code outDir/etcd} (deleted first).
   *
   * @param profile record a JFR profile of every facade replica into {@code outDir/profiles}
   * @param tag the workload's name: its replicas' logs and profiles are named after it
   */
  public static Rig start(BenchSettings settings, TimeBudget budget, Path facadeJar, Path outDir,
      boolean profile, Pinning pinning, String tag) throws IOException, InterruptedException {
    java.nio.file.Files.createDirectories(outDir.resolve("logs"));
    if (profile) {
      writeSamplingSettings(outDir.resolve("profiles"));
    }
    return new Rig(settings, budget, facadeJar, outDir, profile, pinning, tag);
  }

  private LocalEtcdCluster freshEtcd() throws IOException, InterruptedException {
    Path dataDir = outDir.resolve("etcd");
    deleteTree(dataDir);
    LocalEtcdCluster started = LocalEtcdCluster.start(LocalEtcdCluster.Options.builder()
        .members(1).baseDir(dataDir).build());
    long pid = started.member(0).pid().orElseThrow();
    try {
      pinning.pinToServerCpu(pid);
    } catch (IOException | InterruptedException e) {
      started.close();
      throw e;
    }
    placement.put("etcd", "pid " + pid + " on CPU " + Pinning.cpusAllowed(pid));
    return started;
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
    facade = started(FacadeProcess.start(pinning.serverLauncher(), facadeJar, profile,
        etcdEndpoint(), facadeJvmArgs(profile), logDir(), Duration.ofSeconds(90),
        watchersBefore));
    return facade;
  }

  /**
   * A replica of {@code profile} whose etcd traffic goes to {@code etcdEndpoint} (a fault proxy
   * in front of this rig's etcd), replacing any running one.
   */
  public FacadeProcess facadeVia(FacadeProfile profile, String etcdEndpoint)
      throws IOException, InterruptedException {
    stopFacade();
    facade = started(FacadeProcess.start(pinning.serverLauncher(), facadeJar, profile,
        etcdEndpoint, facadeJvmArgs(profile), logDir(), Duration.ofSeconds(90),
        settledEtcdWatchers()));
    return facade;
  }

  private FacadeProcess started(FacadeProcess replica) {
    placement.put("facade " + replica.profile().cluster(), "pid " + replica.pid() + " on CPU "
        + Pinning.cpusAllowed(replica.pid()));
    return replica;
  }

  private Path logDir() {
    return outDir.resolve("logs").resolve(tag);
  }

  /**
   * CPU seconds each process of this rig used over its life so far (user + system from
   * /proc/<pid>/stat, read just before it stopped): facade (all replicas together), etcd (all
   * members together) and driver (this JVM).
   */
  public Map<String, Double> cpuSeconds() throws IOException {
    Map<String, Double> all = new java.util.LinkedHashMap<>();
    all.put("driver", ProcessCpu.self().cpuNanos() / 1e9);
    if (facade != null || cpuSeconds.containsKey("facade")) { // raw baselines start none
      all.put("facade", cpuSeconds.getOrDefault("facade", 0.0) + (facade == null ? 0
          : ProcessCpu.sample(facade.pid()).cpuNanos() / 1e9));
    }
    all.put("etcd", cpuSeconds.getOrDefault("etcd", 0.0)
        + ProcessCpu.sample(etcdPid()).cpuNanos() / 1e9);
    return all;
  }

  /** Where each process of this rig ran: pid and allowed CPUs, by role. */
  public Map<String, String> placement() {
    return Map.copyOf(placement);
  }

  public Pinning pinning() {
    return pinning;
  }

  /** Adds a process's CPU so far to its role's total, just before it stops. */
  private void charge(String role, long pid) {
    try {
      cpuSeconds.merge(role, ProcessCpu.sample(pid).cpuNanos() / 1e9, Double::sum);
    } catch (IOException e) {
      // already gone: its CPU is lost to the total, which the report's per-window figures cover
    }
  }

  private void stopEtcd() {
    charge("etcd", etcdPid());
    etcd.close();
  }

  /** The GC log of {@code profile}'s replica (unified logging, gc=info). */
  public Path facadeGcLog(FacadeProfile profile) {
    return logDir().resolve("facade-" + profile.cluster() + "-gc.log");
  }

  public void stopFacade() {
    if (facade != null) {
      charge("facade", facade.pid());
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
          + ",filename=" + outDir.resolve("profiles/" + tag + "-facade-" + p.cluster() + ".jfr"));
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
    stopEtcd();
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
