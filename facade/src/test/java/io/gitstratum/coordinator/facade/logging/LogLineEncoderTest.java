package io.gitstratum.coordinator.facade.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LogLineEncoderTest {
  private final LoggerContext context = new LoggerContext();
  private final LogLineEncoder encoder = new LogLineEncoder(ZoneOffset.UTC);

  private LoggingEvent event(Level level, String message, Throwable thrown, Object... args) {
    LoggingEvent event = new LoggingEvent("fqcn",
        context.getLogger("io.gitstratum.coordinator.facade.server.FacadeServer"), level, message,
        thrown, args);
    event.setTimeStamp(1_765_000_000_123L); // 2025-12-06T05:46:40.123Z
    event.setThreadName("main");
    return event;
  }

  @Test
  void oneLineAsThePatternPrintedIt() {
    assertEquals("05:46:40.123 INFO  [main] FacadeServer - facade r1 serving on 9000"
        + System.lineSeparator(),
        encoder.line(event(Level.INFO, "facade {} serving on {}", null, "r1", 9000)));
    assertTrue(encoder.line(event(Level.WARN, "x", null)).startsWith("05:46:40.123 WARN  [main]"));
  }

  @Test
  void theStackTraceFollows() {
    String line = encoder.line(event(Level.ERROR, "failed", new IllegalStateException("boom")));
    assertTrue(line.startsWith("05:46:40.123 ERROR [main] FacadeServer - failed"
        + System.lineSeparator() + "java.lang.IllegalStateException: boom"), line);
    assertTrue(line.contains("\tat io.gitstratum.coordinator.facade.logging.LogLineEncoderTest"),
        line);
  }
}
