package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcd server process listening on 127.0.0.1.
 *
 * <p>Lifecycle: {@link #launch()} starts the process without waiting; {@link
 * #awaitHealthy(Duration)} blocks until {@code /health} says true. A member of a multi-member
 * cluster is only healthy once a quorum runs, so a cluster launches all members first and then
 * waits for each. {@link #start()} does both for a single member. {@link #stop()} is a clean
 * shutdown, {@link #kill()} a crash; either may be followed by another start, which reuses the
 * same ports, data dir and arguments.
 *
 * <p>Thread safety: all methods may be called from any thread. {@code launch}, {@code stop} and
 * {@code kill} are serialized; {@code awaitHealthy} polls without holding the lock, so another
 * thread may stop a member that is being waited for (the waiter then fails).
 *
 * <p>Ownership: the member owns its process and whoever created the member must stop it ({@link
 * LocalEtcdCluster#close()} does this for its members). The member never deletes its data dir or
 * log file.
 */
public final class EtcdMember {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdMember.class);

  /** How long a SIGTERM'd etcd may take to exit before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private static final long POLL_MILLIS = 20;
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

  private final EtcdMemberSpec spec;
  private final Object lock = new Object();
  private Process process; // guarded by lock; null when never launched or stopped
  private long logOffset; // guarded by lock; log size when the current run began

  /** Creates a stopped member; nothing runs until {@link #launch()} or {@link #start()}. */
  public EtcdMember(EtcdMemberSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  public EtcdMemberSpec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  public int clientPort() {
    return spec.clientPort();
  }

  public int peerPort() {
    return spec.peerPort();
  }

  public Path dataDir() {
    return spec.dataDir();
  }

  public Path logFile() {
    return spec.logFile();
  }

  /** The {@code --initial-cluster} value this member was configured with. */
  public String initialCluster() {
    return spec.initialCluster();
  }

  /** {@code http://127.0.0.1:<clientPort>}: the endpoint for etcd clients. */
  public String clientEndpoint() {
    return EtcdMemberSpec.url(spec.clientPort());
  }

  /** {@code http://127.0.0.1:<peerPort>}. */
  public String peerUrl() {
    return EtcdMemberSpec.url(spec.peerPort());
  }

  /** Prometheus metrics of this member. */
  public String metricsUrl() {
    return clientEndpoint() + "/metrics";
  }

  public String healthUrl() {
    return clientEndpoint() + "/health";
  }

  /** True while the process is alive (it may still be booting, see {@link #awaitHealthy}). */
  public boolean isRunning() {
    synchronized (lock) {
      return process != null && process.isAlive();
    }
  }

  /** PID of the running process; empty when not running. */
  public OptionalLong pid() {
    synchronized (lock) {
      return process != null && process.isAlive()
          ? OptionalLong.of(process.pid())
          : OptionalLong.empty();
    }
  }

  /**
   * Starts the etcd process and returns at once. Output is appended to {@link #logFile()}.
   *
   * @throws IllegalStateException when the member is already running
   * @throws IOException when the process cannot be started (for example a missing binary)
   */
  public void launch() throws IOException {
    synchronized (lock) {
      if (process != null && process.isAlive()) {
        throw new IllegalStateException(
            "etcd member " + name() + " is already running (pid " + process.pid() + ")");
      }
      Path logFile = spec.logFile();
      Files.createDirectories(spec.dataDir().getParent());
      Files.createDirectories(logFile.getParent());
      logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
      ProcessBuilder builder =
          new ProcessBuilder(inOwnSession(spec.commandLine()))
              .directory(spec.dataDir().getParent().toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      Process started = builder.start();
      started.getOutputStream().close(); // etcd never reads stdin; do not hold a pipe open
      process = started;
      LOG.info(
          "Started etcd member {} (pid {}) client {} peer {} data {} log {}",
          name(), started.pid(), clientEndpoint(), peerUrl(), spec.dataDir(), logFile);
    }
  }

  /**
   * Blocks until {@code /health} reports true, polling every few milliseconds.
   *
   * @throws EtcdStartException when the process exits or the timeout passes; carries the log tail
   * @throws InterruptedIOException when the waiting thread is interrupted
   * @throws IllegalStateException when the member was never launched or has been stopped
   */
  public void awaitHealthy(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Bounded: every round either returns, throws, or moves towards the deadline.
    while (!probeHealthy()) {
      long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (remainingMillis <= 0) {
        throw new EtcdStartException(
            name(),
            "etcd member " + name() + " not healthy at " + healthUrl() + " within " + timeout.toMillis() + " ms",
            logTail());
      }
      pause(Math.min(remainingMillis, POLL_MILLIS));
    }
  }

  /**
   * {@link #launch()} then {@link #awaitHealthy} with the spec's timeout; on failure the process
   * is killed before the exception propagates. Only a single-member cluster (or a member rejoining
   * a cluster that still has quorum) can start this way.
   */
  public void start() throws IOException {
    launch();
    try {
      awaitHealthy(spec.healthTimeout());
    } catch (IOException | RuntimeException e) {
      kill();
      throw e;
    }
  }

  /**
   * Clean shutdown: SIGTERM, wait up to {@link #STOP_GRACE}, then kill the process and any
   * descendants. Blocks until the process is gone. No-op when not running. Preserves the
   * interrupt flag but does not abort on interruption (a half-stopped etcd helps nobody).
   */
  public void stop() {
    synchronized (lock) {
      Process running = process;
      process = null;
      if (running != null) {
        terminate(running, true);
      }
    }
  }

  /** Simulated crash: SIGKILL without grace period. Blocks until the process is gone. */
  public void kill() {
    synchronized (lock) {
      Process running = process;
      process = null;
      if (running != null) {
        terminate(running, false);
      }
    }
  }

  /**
   * {@link #stop()} if running, then {@link #start()} with the same ports, data dir and
   * arguments. Data survives. Not atomic against concurrent lifecycle calls on this member.
   */
  public void restart() throws IOException {
    stop();
    start();
  }

  /** The current run's log output, at most a few kilobytes. */
  public String logTail() {
    long offset;
    synchronized (lock) {
      offset = logOffset;
    }
    return LogTail.read(spec.logFile(), offset);
  }

  /**
   * One health check without waiting.
   *
   * @throws EtcdStartException when the process has exited
   */
  boolean probeHealthy() throws EtcdStartException {
    Process running;
    synchronized (lock) {
      running = process;
    }
    checkAlive(running);
    return HealthProbe.isHealthy(healthUrl(), PROBE_TIMEOUT);
  }

  /**
   * Fails unless the process launched last is still alive.
   *
   * @throws EtcdStartException when the process has exited
   */
  void checkAlive() throws EtcdStartException {
    Process running;
    synchronized (lock) {
      running = process;
    }
    checkAlive(running);
  }

  private void checkAlive(Process running) throws EtcdStartException {
    if (running == null) {
      throw new IllegalStateException("etcd member " + name() + " is not running");
    }
    if (!running.isAlive()) {
      throw new EtcdStartException(
          name(),
          "etcd member " + name() + " exited with code " + running.exitValue(),
          logTail());
    }
  }

  private void terminate(Process running, boolean graceful) {
    // Collect descendants first: once the parent is gone they are reparented and lost to us.
    List<ProcessHandle> descendants = running.descendants().toList();
    boolean alreadyExited = !running.isAlive();
    boolean interrupted = false;
    boolean exited = false;
    if (graceful) {
      running.destroy(); // SIGTERM: etcd syncs and, in a cluster, hands leadership over
      try {
        exited = running.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (!exited) {
      running.destroyForcibly();
      try {
        exited = running.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    for (ProcessHandle child : descendants) {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
    }
    if (exited) {
      LOG.info(
          "{} etcd member {} (pid {}, exit code {})",
          alreadyExited ? "Cleaned up exited" : graceful ? "Stopped" : "Killed",
          name(), running.pid(), running.exitValue());
    } else {
      LOG.warn("etcd member {} (pid {}) did not exit after SIGKILL", name(), running.pid());
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  static void pause(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for etcd");
    }
  }

  @Override
  public String toString() {
    String state = isRunning() ? "running" : "stopped";
    return "EtcdMember[" + name() + " " + clientEndpoint() + " " + state + "]";
  }

  /**
   * The command run in a session of its own ({@code setsid}, where there is one): a Ctrl-C in a
   * terminal goes to the whole foreground process group, and would stop etcd together with the
   * JVM that started it, before that JVM's own shutdown (a facade resigning its election) could
   * still reach it. setsid execs the command without forking (a child of the JVM is no group
   * leader), so the process started is etcd itself.
   */
  static List<String> inOwnSession(List<String> command) {
    Path setsid = Path.of("/usr/bin/setsid");
    if (!Files.isExecutable(setsid)) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(command.size() + 1);
    wrapped.add(setsid.toString());
    wrapped.addAll(command);
    return wrapped;
  }
}
