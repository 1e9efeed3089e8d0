package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running etcd cluster of local processes on 127.0.0.1: one member for trying things out and
 * for most tests, three for failover tests.
 *
 * <p>Layout: under the base dir, member {@code etcd-<i>} keeps its data in {@code etcd-<i>/} and
 * its output in {@code etcd-<i>.log}. With a temporary base dir (the default) everything is
 * deleted on {@link #close()}; a given base dir is kept, so a later cluster on the same dir finds
 * the same data. Members of a kept multi-member cluster remember their peer ports, so restarting
 * such a cluster needs {@link Options.Builder#fixedPorts fixed ports}; a single member does not.
 *
 * <p>Ownership: the caller of {@link #start(Options)} owns the cluster and must close it. A JVM
 * shutdown hook also closes it, so an abandoned cluster does not leave etcd processes behind
 * after a normal JVM exit.
 *
 * <p>Thread safety: all methods may be called from any thread; per-member operations are as
 * described in {@link EtcdMember}. {@link #close()} is idempotent.
 */
public final class LocalEtcdCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalEtcdCluster.class);

  /** Whole-cluster start attempts when a randomly picked port was taken before etcd bound it. */
  static final int MAX_START_ATTEMPTS = ClusterLauncher.MAX_START_ATTEMPTS;

  private final List<EtcdMember> members;
  private final Path baseDir;
  private final boolean temporaryBaseDir;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread shutdownHook;

  private LocalEtcdCluster(List<EtcdMember> members, Path baseDir, boolean temporaryBaseDir,
      boolean stopAtExit) {
    this.members = List.copyOf(members);
    this.baseDir = baseDir;
    this.temporaryBaseDir = temporaryBaseDir;
    this.shutdownHook = new Thread(this::close, "etcd-local-shutdown");
    if (stopAtExit) {
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
  }

  /**
   * Starts all members and blocks until each reports healthy (bounded by {@link
   * Options#healthTimeout()}). On failure nothing is left running and a temporary base dir is
   * deleted.
   *
   * @throws java.io.FileNotFoundException when no etcd binary is found ({@link
   *     EtcdBinary#INSTALL_HINT} in the message)
   * @throws EtcdStartException when a member exits or stays unhealthy; carries its log tail
   */
  public static LocalEtcdCluster start(Options options) throws IOException {
    Objects.requireNonNull(options, "options");
    Path binary = options.binary().isPresent() ? options.binary().get() : EtcdBinary.require();
    boolean temporary = options.baseDir().isEmpty();
    Path baseDir =
        temporary
            ? Files.createTempDirectory("gitstratum-etcd-")
            : Files.createDirectories(options.baseDir().get().toAbsolutePath().normalize());
    try {
      return new LocalEtcdCluster(
          ClusterLauncher.startMembers(options, binary, baseDir), baseDir, temporary,
          options.stopAtExit());
    } catch (IOException | RuntimeException e) {
      if (temporary) {
        Directories.deleteQuietly(baseDir);
      }
      throw e;
    }
  }

  /** All members in index order, running or not. */
  public List<EtcdMember> members() {
    return members;
  }

  /** Member {@code index} (0-based). */
  public EtcdMember member(int index) {
    Objects.checkIndex(index, members.size());
    return members.get(index);
  }

  /**
   * Client endpoints ({@code http://127.0.0.1:<port>}) of all members, including stopped ones: a
   * client given all of them fails over by itself.
   */
  public List<String> endpoints() {
    return members.stream().map(EtcdMember::clientEndpoint).toList();
  }

  /** {@link #endpoints()} joined with commas, as etcdctl's {@code --endpoints} expects. */
  public String endpointsCsv() {
    return String.join(",", endpoints());
  }

  /** Directory holding member data and logs. */
  public Path baseDir() {
    return baseDir;
  }

  /** Cleanly stops member {@code index}; blocks until its process is gone. */
  public void stopMember(int index) {
    ensureOpen();
    member(index).stop();
  }

  /**
   * Stops member {@code index} if running, starts it again on the same ports and data dir, and
   * blocks until it is healthy. In a multi-member cluster that needs a quorum of running members.
   */
  public void restartMember(int index) throws IOException {
    ensureOpen();
    member(index).restart();
  }

  /**
   * Stops every member and deletes a temporary base dir; blocks until the processes are gone.
   * Members on a kept base dir get a clean shutdown ({@link EtcdMember#stop()}), members on a
   * temporary one are killed. Idempotent; never throws.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: we are running inside the hook itself.
    }
    for (EtcdMember member : members) {
      try {
        if (temporaryBaseDir) {
          // The data is deleted next, so a clean shutdown buys nothing; and a member that has
          // lost quorum can take seconds to honour SIGTERM.
          member.kill();
        } else {
          member.stop();
        }
      } catch (RuntimeException e) {
        LOG.warn("Failed to stop etcd member {}", member.name(), e);
      }
    }
    if (temporaryBaseDir) {
      Directories.deleteQuietly(baseDir);
    }
  }

  @Override
  public String toString() {
    return "LocalEtcdCluster" + endpoints() + (closed.get() ? " closed" : "");
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("LocalEtcdCluster is closed");
    }
  }

  /** How to start a {@link LocalEtcdCluster}. Immutable; build with {@link #builder()}. */
  public static final class Options {

    /** Generous: default raft timers on a loaded two-core machine still start in seconds. */
    public static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(30);

    /** Upper bound on members; local clusters exist to test quorum behaviour, not scale. */
    public static final int MAX_MEMBERS = 7;

    private final int members;
    private final Path baseDir;
    private final boolean fastTimers;
    private final Duration healthTimeout;
    private final int clientPortBase;
    private final int peerPortBase;
    private final List<String> extraArgs;
    private final Path binary;
    private final boolean stopAtExit;

    private Options(Builder b) {
      this.members = b.members;
      this.baseDir = b.baseDir;
      this.fastTimers = b.fastTimers;
      this.healthTimeout = b.healthTimeout;
      this.clientPortBase = b.clientPortBase;
      this.peerPortBase = b.peerPortBase;
      this.extraArgs = List.copyOf(b.extraArgs);
      this.binary = b.binary;
      this.stopAtExit = b.stopAtExit;
    }

    /** Defaults: one member, temporary base dir, default raft timers, 30 s health timeout. */
    public static Builder builder() {
      return new Builder();
    }

    /** Number of members (1 or 3 in practice). */
    public int members() {
      return members;
    }

    /** The kept base dir; empty means a temporary one deleted on close. */
    public Optional<Path> baseDir() {
      return Optional.ofNullable(baseDir);
    }

    public boolean fastTimers() {
      return fastTimers;
    }

    public Duration healthTimeout() {
      return healthTimeout;
    }

    public boolean hasFixedPorts() {
      return clientPortBase > 0;
    }

    /** Client port of member 0 (member i uses base + i); 0 when ports are picked at random. */
    public int clientPortBase() {
      return clientPortBase;
    }

    /** Peer port of member 0 (member i uses base + i); 0 when ports are picked at random. */
    public int peerPortBase() {
      return peerPortBase;
    }

    public List<String> extraArgs() {
      return extraArgs;
    }

    /** Explicit etcd executable; empty means {@link EtcdBinary#require()}. */
    public Optional<Path> binary() {
      return Optional.ofNullable(binary);
    }

    /** Whether the cluster stops itself when the JVM exits (false: its owner closes it). */
    public boolean stopAtExit() {
      return stopAtExit;
    }

    /** Mutable, not thread-safe builder of {@link Options}. */
    public static final class Builder {
      private int members = 1;
      private Path baseDir;
      private boolean fastTimers;
      private Duration healthTimeout = DEFAULT_HEALTH_TIMEOUT;
      private int clientPortBase;
      private int peerPortBase;
      private List<String> extraArgs = List.of();
      private Path binary;
      private boolean stopAtExit = true;

      private Builder() {}

      public Builder members(int members) {
        if (members < 1 || members > MAX_MEMBERS) {
          throw new IllegalArgumentException("members must be 1.." + MAX_MEMBERS + ": " + members);
        }
        this.members = members;
        return this;
      }

      /** Keep data and logs here across runs; null (the default) means a temporary dir. */
      public Builder baseDir(Path baseDir) {
        this.baseDir = baseDir;
        return this;
      }

      /** Raft heartbeat 10 ms, election timeout 100 ms: fast start and failover for tests. */
      public Builder fastTimers(boolean fastTimers) {
        this.fastTimers = fastTimers;
        return this;
      }

      public Builder healthTimeout(Duration healthTimeout) {
        Objects.requireNonNull(healthTimeout, "healthTimeout");
        if (healthTimeout.isNegative() || healthTimeout.isZero()) {
          throw new IllegalArgumentException("healthTimeout must be positive: " + healthTimeout);
        }
        this.healthTimeout = healthTimeout;
        return this;
      }

      /**
       * Fixed ports instead of random ones: member i listens on {@code clientPortBase + i} and
       * {@code peerPortBase + i}. No retry happens on a bind failure. Both 0 restores random.
       */
      public Builder fixedPorts(int clientPortBase, int peerPortBase) {
        if ((clientPortBase == 0) != (peerPortBase == 0)
            || clientPortBase < 0
            || peerPortBase < 0
            || clientPortBase > 65535
            || peerPortBase > 65535) {
          throw new IllegalArgumentException(
              "port bases must both be 0 (random) or both in 1..65535: "
                  + clientPortBase + ", " + peerPortBase);
        }
        this.clientPortBase = clientPortBase;
        this.peerPortBase = peerPortBase;
        return this;
      }

      /** Further etcd flags appended to every member's command line. */
      public Builder extraArgs(List<String> extraArgs) {
        this.extraArgs = List.copyOf(extraArgs);
        return this;
      }

      /**
       * Whether the cluster registers its own JVM shutdown hook (the default). An owner that
       * must stop other things first (a facade that resigns its election before its etcd goes)
       * passes false and closes the cluster from its own hook: JVM hooks run in no fixed order.
       */
      public Builder stopAtExit(boolean stopAtExit) {
        this.stopAtExit = stopAtExit;
        return this;
      }

      /** Use this etcd executable instead of looking one up. */
      public Builder binary(Path binary) {
        this.binary = binary;
        return this;
      }

      /** @throws IllegalArgumentException when fixed port ranges overlap or run past 65535 */
      public Options build() {
        if (clientPortBase > 0) {
          int lastClient = clientPortBase + members - 1;
          int lastPeer = peerPortBase + members - 1;
          boolean overlap = clientPortBase <= lastPeer && peerPortBase <= lastClient;
          if (overlap || lastClient > 65535 || lastPeer > 65535) {
            throw new IllegalArgumentException(
                "fixed port ranges invalid for " + members + " members: client from "
                    + clientPortBase + ", peer from " + peerPortBase);
          }
        }
        return new Options(this);
      }
    }
  }
}
