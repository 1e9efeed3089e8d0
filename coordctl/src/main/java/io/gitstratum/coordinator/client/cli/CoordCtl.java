package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.InternalErrorException;
import io.gitstratum.coordinator.client.errors.InvalidArgumentException;
import io.gitstratum.coordinator.client.errors.NodeNotFoundException;
import io.gitstratum.coordinator.client.errors.PermissionDeniedException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.failover.AdminClient;
import io.gitstratum.coordinator.client.failover.ChannelFactory;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.failover.EndpointResolver;
import io.grpc.Status;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code coordctl}: the operator's command line for a gitstratum coordinator.
 *
 * <p>Exit codes: 0 success, 1 other errors (including an unhealthy {@code health}), 2 bad flags
 * or arguments (also when the facade answers INVALID_ARGUMENT), 3 no facade reachable, 4 unknown
 * node. Results go to standard output, errors to standard error.
 *
 * <p>No static logger here: {@link #main} configures logging before any logger exists.
 */
@Command(name = "coordctl", mixinStandardHelpOptions = true, version = "coordctl 0.1.0",
    description = "Inspect and operate a gitstratum coordinator (a facade over etcd).",
    subcommands = {TopologyCommand.class, WatchCommand.class, RingCommand.class,
        HealthCommand.class, LeaderCommand.class, HistoryCommand.class, DetectorCommand.class,
        DrainCommand.class, ConfirmDownCommand.class, DeregisterCommand.class,
        RegisterCommand.class, HeartbeatCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "history, detector, drain and confirm-down use the admin service: with mutual "
        + "TLS, only an operator certificate (URI gitstratum://operator/<name>).",
        "", "Exit codes: 0 ok, 1 error, 2 bad flags, 3 facade unreachable, 4 unknown node."})
public final class CoordCtl implements Runnable {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int UNREACHABLE = 3;
  public static final int UNKNOWN_NODE = 4;

  /** Environment variable with the default endpoint list. */
  public static final String ENDPOINTS_ENV = "COORDCTL_ENDPOINTS";

  @Option(names = "--endpoints", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,...]",
      defaultValue = "${env:" + ENDPOINTS_ENV + ":-localhost:9000}",
      description = "Facade endpoints, comma-separated, or dns:///NAME:PORT for every address "
          + "of a name (default: $" + ENDPOINTS_ENV + ", else localhost:9000).")
  String endpoints;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
      defaultValue = "5s", converter = DurationConverter.class,
      description = "Deadline of each call attempt, e.g. 500ms, 5s (default: 5s).")
  Duration timeout;

  @Option(names = "--tls-ca", scope = ScopeType.INHERIT, paramLabel = "FILE",
      defaultValue = "${env:COORDCTL_TLS_CA}",
      description = "PEM CA of the facade's certificate: connect with TLS (env COORDCTL_TLS_CA).")
  Path tlsCa;

  @Option(names = "--tls-cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      defaultValue = "${env:COORDCTL_TLS_CERT}",
      description = "PEM client certificate, for a facade that requires mutual TLS "
          + "(env COORDCTL_TLS_CERT).")
  Path tlsCert;

  @Option(names = "--tls-key", scope = ScopeType.INHERIT, paramLabel = "FILE",
      defaultValue = "${env:COORDCTL_TLS_KEY}",
      description = "PEM PKCS#8 key of --tls-cert (env COORDCTL_TLS_KEY).")
  Path tlsKey;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /** A client for {@code --endpoints}; the caller closes it. */
  CoordinatorClient connect() {
    try {
      if ((tlsCert == null) != (tlsKey == null) || (tlsCert != null && tlsCa == null)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--tls-cert and --tls-key go together, and need --tls-ca");
      }
      List<String> specs = EndpointResolver.splitSpecs(endpoints);
      // Interactive: each endpoint once, and one more try, instead of the library's patient
      // retries (a replica without etcd answers after its --etcd-timeout every time).
      CoordinatorClient.Builder client = CoordinatorClient.builder(specs).deadline(timeout)
          .maxAttempts(specs.size() + 1);
      if (tlsCa != null) {
        client.channelFactory(ChannelFactory.tls(tlsCa, tlsCert, tlsKey));
      }
      return client.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "bad --endpoints '" + endpoints + "': " + e.getMessage());
    }
  }

  /** {@link #admin(CoordinatorClient, Function)} on a client for {@code --endpoints}. */
  <T> T admin(Function<AdminClient, T> call) {
    try (CoordinatorClient client = connect()) {
      return admin(client, call);
    }
  }

  /**
   * One call of the admin service. Its refusals say what to fix: a PERMISSION_DENIED or
   * UNAUTHENTICATED that does not explain itself gets the operator certificate rule, and
   * UNIMPLEMENTED means a facade without the admin service.
   */
  static <T> T admin(CoordinatorClient client, Function<AdminClient, T> call) {
    try {
      return call.apply(client.admin());
    } catch (PermissionDeniedException e) {
      if (e.getMessage().contains("operator")) {
        throw e;
      }
      throw new CliException(e.getMessage() + "; the admin service takes an operator "
          + "certificate: --tls-cert/--tls-key with the URI gitstratum://operator/<name>, "
          + "<name> listed in the facade's --operators");
    } catch (InternalErrorException e) {
      if (e.code() != Status.Code.UNIMPLEMENTED) {
        throw e;
      }
      throw new CliException("the facade at " + e.endpoint() + " has no admin service (it is "
          + "older than this coordctl): " + e.getMessage());
    }
  }

  public static void main(String[] args) {
    LogSetup.configure("ERROR");
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs one command line; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CoordCtl root = new CoordCtl();
    CommandLine cli = new CommandLine(root);
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(CoordCtl::badUsage);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof CommandLine.ParameterException pe) {
        return badUsage(pe, args);
      }
      PrintWriter errors = cmd.getErr();
      errors.println("coordctl: " + describe(e, root));
      errors.flush();
      return exitCode(e);
    });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** A bad flag: the message and where to read more (the whole usage when no args at all). */
  private static int badUsage(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    // picocli says "Value for option option '--label' ..." for a map option without '='.
    err.println("coordctl: " + e.getMessage().replace("option option", "option"));
    // A mistyped subcommand or option: picocli's "Did you mean" line.
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    if (args.length == 0) {
      cmd.usage(err);
    } else {
      err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    }
    err.flush();
    return USAGE;
  }

  static int exitCode(Throwable e) {
    if (e instanceof CommandLine.ParameterException || e instanceof InvalidArgumentException) {
      return USAGE;
    }
    if (e instanceof UnavailableException || notGrpc(e)) {
      return UNREACHABLE;
    }
    if (e instanceof NodeNotFoundException) {
      return UNKNOWN_NODE;
    }
    return ERROR;
  }

  private static String describe(Throwable e, CoordCtl root) {
    if (e instanceof UnavailableException unavailable) {
      return unavailable(unavailable, String.valueOf(root.endpoints), root.tlsCa != null,
          root.tlsCert != null);
    }
    if (notGrpc(e)) {
      return "the endpoint " + root.endpoints + " answered, but not in gRPC: is it an HTTP "
          + "port, such as the facade's status page and metrics (--http-listen, default 9090)? "
          + "Its gRPC port is --listen (default 9000)";
    }
    if (e instanceof CoordinatorClientException || e instanceof CliException) {
      return e.getMessage();
    }
    return e.toString();
  }

  /**
   * Why no answer came: a facade that answered but cannot reach etcd (down, or without quorum)
   * is told apart from one that could not be reached, which gets a TLS hint where one fits.
   */
  static String unavailable(UnavailableException e, String endpoints, boolean tls,
      boolean clientCertificate) {
    if ("ETCD_UNAVAILABLE".equals(e.reason()) || "REPLICA_NOT_READY".equals(e.reason())) {
      return "the coordinator at " + endpoints + " answered but cannot reach etcd ("
          + e.reason() + "): " + e.getMessage() + "; `coordctl health` says more";
    }
    return "cannot reach the coordinator at " + endpoints + ": " + e.getMessage()
        + tlsHint(causes(e), tls, clientCertificate);
  }

  /**
   * An HTTP/1 server answered the gRPC call (an HTTP port given as an endpoint): gRPC reports
   * that as INTERNAL with a hex dump of the reply; no facade was reached.
   */
  static boolean notGrpc(Throwable e) {
    return e instanceof InternalErrorException
        && causes(e).contains("First received frame was not SETTINGS");
  }

  /** Every message along the cause chain: TLS failures show only deep down. */
  private static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append('\n');
    }
    return all.toString();
  }

  /**
   * What a TLS mismatch usually means, in words: gRPC reports a refused client certificate as
   * {@code bad_certificate} and a TLS client talking to a plaintext port (or the reverse) as
   * "Network closed for unknown reason".
   */
  static String tlsHint(String failure, boolean tls, boolean clientCertificate) {
    if (failure.contains("bad_certificate") || failure.contains("certificate_required")) {
      return clientCertificate
          ? " (the facade refused this client certificate: not signed by its --tls-client-ca, "
              + "expired or revoked)"
          : " (the facade requires a client certificate: pass --tls-cert and --tls-key)";
    }
    if (failure.contains("PKIX") || failure.contains("unknown_ca")
        || failure.contains("No subject alternative")) {
      return " (this client does not trust the facade's certificate: --tls-ca must hold the CA "
          + "that signed it, and the certificate must name the host you dial)";
    }
    if (failure.contains("Network closed for unknown reason")
        || failure.contains("not an SSL/TLS record")) {
      return tls ? " (is the facade's gRPC port plaintext? then leave out the --tls-* options)"
          : " (does the facade require TLS? then pass --tls-ca, and for mutual TLS "
              + "--tls-cert and --tls-key)";
    }
    return "";
  }

  /** A failure with a message for the user and nothing more to show (exit code 1). */
  static final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
      super(message);
    }
  }

  /** Parses {@code 500ms}, {@code 5s}, {@code 2m} or ISO-8601 ({@code PT5S}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(java.util.Locale.ROOT);
      try {
        if (v.startsWith("pt")) {
          return Duration.parse(value.trim());
        } else if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        } else if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        } else if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
      } catch (RuntimeException e) {
        // falls through to the message below
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration such as 500ms, 5s, 2m or PT5S");
    }
  }
}
