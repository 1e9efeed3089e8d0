package io.gitstratum.coordinator.bench.report;

import java.util.Locale;

/**
 * One measured number, printed as {@code name value unit}.
 *
 * @param section the workload it came from (a heading of the Markdown report)
 * @param name dotted, stable name such as {@code raw.cas.c32.commits_per_s}
 * @param note how it was measured, when the name alone does not say
 */
public record Figure(String section, String name, double value, String unit, String note) {

  /** The printed line: {@code name value unit}. */
  public String line() {
    return name + " " + format(value) + " " + unit;
  }

  /** Enough digits to compare, never scientific notation. */
  public static String format(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    double abs = Math.abs(value);
    if (abs != 0 && abs < 0.1) {
      return String.format(Locale.ROOT, "%.4f", value);
    }
    if (abs < 100) {
      return String.format(Locale.ROOT, "%.2f", value);
    }
    return String.format(Locale.ROOT, "%.0f", value);
  }
}
