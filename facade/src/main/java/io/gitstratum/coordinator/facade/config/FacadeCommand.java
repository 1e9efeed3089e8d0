package io.gitstratum.coordinator.facade.config;

import io.gitstratum.coordinator.facade.detect.DetectorSettings;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.heartbeat.LivenessSettings;
import io.gitstratum.coordinator.facade.server.ListenSettings;
import io.gitstratum.coordinator.facade.server.RingSettings;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The facade's command line: one option group per concern, each owned by its settings record.
 * Every option also reads an environment variable named after it ({@link #environmentVariable});
 * a flag wins over the variable, the variable over the default.
 */
@Command(name = "coordinator-facade", mixinStandardHelpOptions = true, sortOptions = false,
    abbreviateSynopsis = true,
    description = "gitstratum coordinator: a stateless gRPC facade over etcd.",
    version = "gitstratum-coordinator 0.1.0",
    footer = {"", "Every option can also be set by an environment variable: GS_ and the "
        + "option's name in capitals, dashes as underscores (--etcd-timeout: GS_ETCD_TIMEOUT). "
        + "A flag wins over the variable, the variable over the default."})
public final class FacadeCommand {
  @ArgGroup(exclusive = false, validate = false, heading = "%nListening:%n")
  ListenSettings.Options listen = new ListenSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%netcd:%n")
  EtcdSettings.Options etcd = new EtcdSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%netcd transactions:%n")
  TxnLimits.Options txn = new TxnLimits.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%nNode liveness:%n")
  LivenessSettings.Options liveness = new LivenessSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%nHash ring of a new cluster:%n")
  RingSettings.Options ring = new RingSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%nFailure detector:%n")
  DetectorSettings.Options detector = new DetectorSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%nWatch streams:%n")
  WatchSettings.Options watch = new WatchSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%nRequest limits:%n")
  LimitSettings.Options limits = new LimitSettings.Options();

  @ArgGroup(exclusive = false, validate = false, heading = "%nTLS of the gRPC port:%n")
  TlsSettings.Options tls = new TlsSettings.Options();

  /** @throws IllegalArgumentException with a message naming the flag when a value is invalid */
  public FacadeConfig toConfig() {
    return new FacadeConfig(listen.toSettings(), etcd.toSettings(), liveness.toSettings(),
        ring.toSettings(), watch.toSettings(), detector.toSettings(), limits.toSettings(),
        tls.toSettings(), txn.toSettings());
  }

  /**
   * A parser for {@code command} that reads each option's default from {@code environment}
   * (the variable named by {@link #environmentVariable}) and then from its annotation.
   */
  public static CommandLine commandLine(FacadeCommand command, Map<String, String> environment) {
    CommandLine cli = new CommandLine(command);
    cli.registerConverter(Duration.class, DurationConverter::parse);
    cli.setDefaultValueProvider(arg -> arg instanceof OptionSpec option
        ? environment.get(environmentVariable(option.longestName())) : null);
    return cli;
  }

  /** {@code --etcd-timeout} is also {@code GS_ETCD_TIMEOUT}. */
  public static String environmentVariable(String longName) {
    return "GS_" + longName.replaceFirst("^--", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /** Every flag's default, no environment read: the values of README.md's table. */
  static FacadeConfig defaults() {
    FacadeCommand command = new FacadeCommand();
    commandLine(command, Map.of()).parseArgs();
    return command.toConfig();
  }
}
