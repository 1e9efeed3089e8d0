package io.gitstratum.coordinator.facade;

import io.gitstratum.coordinator.etcdlocal.EtcdStartException;
import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import io.gitstratum.coordinator.facade.config.FacadeCommand;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.di.FacadeComponent;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Entry point: parse flags, optionally start a local etcd, run one facade replica until stopped. */
public final class FacadeMain {
  private static final Logger log = LoggerFactory.getLogger(FacadeMain.class);

  private FacadeMain() {}

  public static void main(String[] args) {
    Parsed parsed = parse(args, System.getenv(), new PrintWriter(System.out, true),
        new PrintWriter(System.err, true));
    if (parsed.config() == null) {
      System.exit(parsed.exitCode());
    }
    try {
      run(parsed.config());
    } catch (IOException | RuntimeException e) {
      // One line an operator can act on; the trace only for who asks (GS_LOG_LEVEL=DEBUG).
      log.error("facade failed to start: {}", StartupFailure.describe(e));
      log.debug("start-up failure", e);
      System.exit(2);
    }
  }

  /** A parsed command line: a configuration to run, or (config null) an exit code. */
  public record Parsed(FacadeConfig config, int exitCode) {}

  /**
   * Parses the command line, with defaults from {@code environment}'s GS_ variables, into a
   * configuration; prints help, version or a precise error.
   */
  public static Parsed parse(String[] args, Map<String, String> environment, PrintWriter out,
      PrintWriter err) {
    FacadeCommand command = new FacadeCommand();
    CommandLine cli = FacadeCommand.commandLine(command, environment).setOut(out).setErr(err);
    try {
      cli.parseArgs(args);
      if (cli.isUsageHelpRequested()) {
        cli.usage(out);
        return new Parsed(null, 0);
      }
      if (cli.isVersionHelpRequested()) {
        cli.printVersionHelp(out);
        return new Parsed(null, 0);
      }
      return new Parsed(command.toConfig(), 0);
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      if (e instanceof CommandLine.UnmatchedArgumentException unknown
          && !unknown.getSuggestions().isEmpty()) {
        err.println("did you mean " + String.join(" or ", unknown.getSuggestions()) + "?");
      }
      err.println("see --help for the options");
      return new Parsed(null, 2);
    }
  }

  @SuppressWarnings("unused") // kept reachable for the life of the process
  private static volatile EmbeddedEtcdLock embeddedDirLock;

  private static void run(FacadeConfig config) throws IOException {
    LocalEtcdCluster embedded = null;
    EtcdSettings etcdSettings = config.etcd();
    if (etcdSettings.embeddedDir() != null) {
      // Held until the process ends: released by the operating system, never closed here. A
      // static field, not a local: an unreachable FileChannel is closed by the garbage
      // collector, and its lock goes with it (a second run-local.sh started all the same).
      embeddedDirLock = EmbeddedEtcdLock.acquire(etcdSettings.embeddedDir());
      try {
        embedded = LocalEtcdCluster.start(LocalEtcdCluster.Options.builder()
            .members(1)
            .baseDir(etcdSettings.embeddedDir())
            .fixedPorts(etcdSettings.embeddedPort(), etcdSettings.embeddedPort() + 1)
            .stopAtExit(false) // stopped by the hook below, after the facade has closed
            .build());
      } catch (EtcdStartException e) {
        if (!e.portConflict()) {
          throw e;
        }
        // One line instead of etcd's log: the usual cause is a second run-local.sh.
        throw new IOException("the embedded etcd cannot listen on port "
            + etcdSettings.embeddedPort() + " or " + (etcdSettings.embeddedPort() + 1)
            + ": already in use. Is another facade with --embedded-etcd (deploy/run-local.sh) "
            + "running? Stop it, or pick another --embedded-etcd-port (its data dir too, "
            + "--embedded-etcd-dir, if that facade uses this one; etcd's log is under "
            + etcdSettings.embeddedDir() + ")");
      }
      log.info("embedded etcd running at {} (data in {})", embedded.endpointsCsv(),
          etcdSettings.embeddedDir().toAbsolutePath());
    }
    // One hook, in order: the facade resigns its election and closes, then its etcd stops (the
    // etcd runs in a session of its own, so a Ctrl-C does not stop it first).
    LocalEtcdCluster etcd = embedded;
    AtomicReference<FacadeServer> running = new AtomicReference<>();
    AtomicBoolean stopped = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (stopped.compareAndSet(false, true)) {
        if (running.get() != null) {
          running.get().close();
        }
        if (etcd != null) {
          etcd.close();
        }
      }
    }, "facade-shutdown"));
    FacadeServer server = FacadeComponent.create(config, Clock.systemUTC(),
        NettyServerBuilder.forAddress(new InetSocketAddress(config.listen().host(),
            config.listen().port()))).server();
    running.set(server);
    server.start();
    log.info("ready: gRPC on port {}; status page http://localhost:{}/status, metrics "
        + "http://localhost:{}/metrics", server.port(), server.httpPort(), server.httpPort());
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
