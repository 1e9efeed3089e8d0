package io.gitstratum.coordinator.facade.core;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Durations in logs and messages as operators write them in flags ({@code 10s}, not
 * {@code PT10S}).
 */
public final class Durations {
  private Durations() {}

  /** {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 90s}, {@code 2m}, {@code 24h}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms >= 7_200_000 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    } else if (ms >= 120_000 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    } else if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    } else if (Math.abs(ms) < 1000) {
      return ms + "ms";
    }
    return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
  }
}
