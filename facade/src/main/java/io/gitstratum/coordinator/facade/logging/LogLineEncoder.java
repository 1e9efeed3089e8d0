package io.gitstratum.coordinator.facade.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * One line per event, {@code 12:04:05.123 INFO  [main] FacadeServer - message}, then the stack
 * trace of its exception if any: what the pattern {@code %d{HH:mm:ss.SSS} %-5level [%thread]
 * %logger{0} - %msg%n} printed, without logback's pattern parser and its sixty converters, which
 * every start paid for.
 */
final class LogLineEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  private final ZoneId zone;

  LogLineEncoder(ZoneId zone) {
    this.zone = zone;
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return line(event).getBytes(StandardCharsets.UTF_8);
  }

  String line(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    TIME.formatTo(LocalTime.ofInstant(Instant.ofEpochMilli(event.getTimeStamp()), zone), line);
    String level = event.getLevel().toString();
    line.append(' ').append(level).append(" ".repeat(Math.max(0, 5 - level.length())))
        .append(" [").append(event.getThreadName()).append("] ")
        .append(simpleName(event.getLoggerName())).append(" - ")
        .append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
    }
    return line.toString();
  }

  /** The logger's name after its last dot, as {@code %logger{0}}: a class's simple name. */
  private static String simpleName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
