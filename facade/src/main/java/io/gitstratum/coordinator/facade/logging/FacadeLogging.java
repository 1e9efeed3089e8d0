package io.gitstratum.coordinator.facade.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.time.ZoneId;
import java.util.List;
import org.slf4j.Logger;

/**
 * The facade's logging, set up in code: one line per event on stderr ({@link LogLineEncoder}),
 * the project's loggers at {@code GS_LOG_LEVEL} (INFO by default), gRPC, Netty, Vert.x and jetcd
 * at WARN (below that they log every frame and slow the process severalfold). logback finds this
 * as a service before its own XML configurator, whose parsing alone took a fifth of a start's
 * CPU. A logback configuration file still wins: {@code -Dlogback.configurationFile}, or a
 * logback-test.xml or logback.xml on the class path (tests; a program that embeds the facade's
 * classes).
 */
public final class FacadeLogging extends ContextAwareBase implements Configurator {
  /** The environment variable with the project's log level. */
  public static final String LEVEL_VARIABLE = "GS_LOG_LEVEL";
  private static final List<String> NOISY = List.of("io.grpc", "io.netty", "io.vertx", "io.etcd");

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    ClassLoader loader = FacadeLogging.class.getClassLoader();
    if (System.getProperty("logback.configurationFile") != null
        || loader.getResource("logback-test.xml") != null
        || loader.getResource("logback.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LogLineEncoder encoder = new LogLineEncoder(ZoneId.systemDefault());
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
    context.getLogger("io.gitstratum").setLevel(level(System.getenv(LEVEL_VARIABLE)));
    NOISY.forEach(name -> context.getLogger(name).setLevel(Level.WARN));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** A level by name (any case), INFO when unset or unknown, as logback.xml's default did. */
  static Level level(String name) {
    return Level.toLevel(name, Level.INFO);
  }
}
