package io.gitstratum.coordinator.client.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Points logback at the configuration shipped for coordctl and the examples
 * ({@code coordctl-logback.xml}: stderr, quiet libraries), unless the user chose one with
 * {@code -Dlogback.configurationFile}. Must run before the first SLF4J logger is created. The
 * project's level comes from {@code GS_CLIENT_LOG_LEVEL}, else the default given here. gRPC logs
 * through java.util.logging; that is limited to SEVERE, since its warnings (an unresolvable
 * name, a refused connection) repeat what the client reports anyway.
 */
public final class LogSetup {
  private static final String CONFIG_PROPERTY = "logback.configurationFile";
  private static final String LEVEL_PROPERTY = "gitstratum.client.log.level";
  // java.util.logging holds loggers weakly: keep this one, or its level is lost.
  private static final Logger GRPC = Logger.getLogger("io.grpc");

  private LogSetup() {}

  public static void configure(String defaultLevel) {
    GRPC.setLevel(Level.SEVERE);
    if (System.getProperty(CONFIG_PROPERTY) == null) {
      System.setProperty(CONFIG_PROPERTY, "coordctl-logback.xml");
    }
    if (System.getProperty(LEVEL_PROPERTY) == null) {
      String level = System.getenv("GS_CLIENT_LOG_LEVEL");
      System.setProperty(LEVEL_PROPERTY, level == null || level.isBlank() ? defaultLevel : level);
    }
  }
}
