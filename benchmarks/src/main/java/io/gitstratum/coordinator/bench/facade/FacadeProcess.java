package io.gitstratum.coordinator.bench.facade;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One facade replica in its own JVM ({@code java -jar coordinator-facade.jar ...}), so that its
 * CPU time and heap are its own and not the load generator's. Listens on loopback only; output
 * goes to a log file. Owns its process and channels; {@link #close()} stops them.
 */
public final class FacadeProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FacadeProcess.class);

  /** Rate limits switched off (0 = no limit), by their environment variables. */
  public static final List<String> RATE_LIMITS = List.of("GS_RATE_HEARTBEATS", "GS_RATE_READS",
      "GS_RATE_REGISTRATIONS", "GS_REPLICA_RATE_HEARTBEATS", "GS_REPLICA_RATE_READS",
      "GS_REPLICA_RATE_REGISTRATIONS", "GS_MAX_WATCH_STREAMS_PER_CLIENT");

  /**
   * C2 compiles after 3x the usual calls: at start-up it competed for the replica's CPU with the
   * start itself. The same flags as deploy/run-local.sh and the container image (README,
   * "Start-up").
   */
  static final List<String> START_UP_FLAGS = List.of("-XX:Tier4InvocationThreshold=15000",
      "-XX:Tier4MinInvocationThreshold=2000", "-XX:Tier4CompileThreshold=45000",
      "-XX:Tier4BackEdgeThreshold=120000");

  private final FacadeProfile profile;
  private final Process process;
  private final int grpcPort;
  private final int httpPort;
  private final Path logFile;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Thread hook;
  private final double etcdWatchersBefore;
  /** From just before the exec to the first SERVING answer; set once by {@link #start}. */
  private Duration toServing = Duration.ZERO;

  private FacadeProcess(FacadeProfile profile, Process process, int grpcPort, int httpPort,
      Path logFile, double etcdWatchersBefore) {
    this.profile = profile;
    this.process = process;
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
    this.logFile = logFile;
    this.etcdWatchersBefore = etcdWatchersBefore;
    // A watchdog's exit stops the replica as close() does: SIGTERM first, so that it dumps its
    // flight recording and closes its etcd session.
    this.hook = new Thread(this::close, "facade-stop-" + profile);
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Starts a replica and waits until its gRPC health check answers SERVING.
   *
   * @param launcher a command prefix such as {@code taskset -c 0} (pinning), or empty
   * @param jvmArgs extra JVM flags (GC log, flight recorder)
   * @param etcdWatchersBefore etcd's watcher count before the start, for attributing watchers
   */
  public static FacadeProcess start(List<String> launcher, Path jar, FacadeProfile profile,
      String etcdEndpoint, List<String> jvmArgs, Path logDir, Duration timeout,
      double etcdWatchersBefore) throws IOException, InterruptedException {
    int grpc = freePort();
    int http = freePort();
    Files.createDirectories(logDir);
    Path logFile = logDir.resolve("facade-" + profile.cluster() + ".log");
    Path realJar = jar.toRealPath();
    List<String> cmd = new ArrayList<>(launcher); // taskset execs java: the pid stays the same
    cmd.add("java");
    cmd.addAll(START_UP_FLAGS);
    cmd.addAll(classDataSharing(realJar));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", realJar.toString(),
        "--listen", "127.0.0.1:" + grpc,
        "--advertise", "127.0.0.1:" + grpc,
        "--http-listen", "127.0.0.1:" + http,
        "--replica-id", profile.cluster(),
        "--etcd-endpoints", etcdEndpoint,
        "--cluster", profile.cluster()));
    cmd.addAll(profile.args());
    // Appended: the log keeps every start of this profile in the run, not only the last.
    ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    builder.environment().put("GS_LOG_LEVEL", "INFO");
    // This load generator is ONE client simulating thousands of nodes: the replica's per-client
    // and per-replica rate limits would measure themselves, not the replica. Set through the
    // environment so that a replica without these settings simply ignores them.
    for (String limit : RATE_LIMITS) {
      builder.environment().put(limit, "0");
    }
    primeHealthClient(grpc);
    long launched = System.nanoTime();
    FacadeProcess facade = new FacadeProcess(profile, builder.start(), grpc, http, logFile,
        etcdWatchersBefore);
    try {
      facade.awaitServing(timeout);
      facade.toServing = Duration.ofNanos(System.nanoTime() - launched);
    } catch (IOException | RuntimeException | InterruptedException e) {
      facade.close();
      throw e;
    }
    log.info("facade {} serving on 127.0.0.1:{} (pid {}, log {})", profile.cluster(), grpc,
        facade.pid(), logFile);
    return facade;
  }

  /**
   * The JVM flag that maps {@code jar}'s class-data sharing archive ({@code .jsa} beside it, from
   * deploy/cds-archive.sh), or none when there is no archive: the flag with a missing file would
   * turn off even the JDK's own archive. The archive holds only for the jar by the path it was
   * dumped for, the real absolute one; with any other the JVM warns and starts without it.
   */
  static List<String> classDataSharing(Path jar) {
    String name = jar.getFileName().toString();
    Path archive = jar.resolveSibling(name.replaceFirst("\\.jar$", "") + ".jsa");
    return Files.isRegularFile(archive) ? List.of("-XX:SharedArchiveFile=" + archive)
        : List.of();
  }

  /**
   * One health check against the port before anything listens there: it loads this JVM's gRPC
   * client (channel, Netty, the health stubs). A load generator's JVM is fresh for each workload,
   * and without this its own class loading, on its own CPU, counted in the replica's first start
   * (about half a second here) whenever the replica was ready before the first answer could be.
   */
  private static void primeHealthClient(int port) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .build();
    try {
      HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
    } catch (RuntimeException e) {
      // refused: nothing listens yet, as expected
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Polls health every 10 ms. A refused connection puts a gRPC channel into reconnect backoff
   * (1 s, then longer): without resetting it, the poll would notice SERVING up to seconds late.
   */
  private void awaitServing(Duration timeout) throws IOException, InterruptedException {
    ManagedChannel channel = newChannel();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("facade exited with " + process.exitValue() + "; see " + logFile
            + ":\n" + tail());
      }
      channel.resetConnectBackoff();
      try {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService("gitstratum.CoordinatorService")
                .build());
        if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
          return;
        }
      } catch (RuntimeException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("facade not SERVING after " + timeout + "; see " + logFile);
      }
      Thread.sleep(10);
    }
  }

  /**
   * From the exec of the replica's JVM to its first SERVING health answer, as this launcher saw
   * it (polled every 10 ms). Not the process's start instant: the JDK derives that from a boot
   * time rounded down to the second, which made a start look up to a second longer.
   */
  public Duration toServing() {
    return toServing;
  }

  /** The replica's own log (stdout and stderr). */
  public Path logFile() {
    return logFile;
  }

  public FacadeProfile profile() {
    return profile;
  }

  public long pid() {
    return process.pid();
  }

  public int grpcPort() {
    return grpcPort;
  }

  /** The replica's Prometheus endpoint. */
  public String metricsUrl() {
    return "http://127.0.0.1:" + httpPort + "/metrics";
  }

  public double etcdWatchersBefore() {
    return etcdWatchersBefore;
  }

  /** A new plaintext channel to the replica (one HTTP/2 connection), closed with it. */
  public ManagedChannel newChannel() {
    return register(NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build());
  }

  /**
   * As {@link #newChannel}, with answers handled on the transport thread that read them, for
   * listeners that only record (watch streams): a lean generator spends no thread hop per message.
   */
  public ManagedChannel newDirectChannel() {
    return register(NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext()
        .directExecutor().build());
  }

  private synchronized ManagedChannel register(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Closes the channels, then stops the replica (SIGTERM, then SIGKILL after 15 s). */
  @Override
  public void close() {
    synchronized (this) {
      channels.forEach(ManagedChannel::shutdownNow);
      channels.clear();
    }
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already exiting (this may be the hook itself)
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
