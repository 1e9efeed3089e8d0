package io.gitstratum.coordinator.bench.report;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A goal of issue 8, checked against the figures of one run. Ratios compare a facade figure with
 * a raw-etcd figure measured in the same run, so the noise of a shared machine mostly cancels.
 *
 * @param key short stable name of the check, such as {@code register_c32}
 * @param title what the goal says, in words
 * @param facade name of the facade figure
 * @param baseline name of the baseline figure; empty for an absolute goal
 * @param kind how the two are compared
 * @param bound the threshold of that comparison
 */
public record Target(String key, String title, String facade, Optional<String> baseline, Kind kind,
    double bound) {

  /** How a target compares its figures. */
  public enum Kind {
    /** facade / baseline >= bound */
    RATIO_AT_LEAST(">=", "x"),
    /** facade / baseline <= bound */
    RATIO_AT_MOST("<=", "x"),
    /** facade - baseline <= bound */
    EXCESS_AT_MOST("<=", "diff"),
    /** |facade - bound| <= 1 % of bound */
    EQUALS("==", ""),
    /** facade >= bound */
    AT_LEAST(">=", ""),
    /** facade <= bound */
    AT_MOST("<=", "");

    final String op;
    final String unit;

    Kind(String op, String unit) {
      this.op = op;
      this.unit = unit;
    }
  }

  public static Target ratioAtLeast(String key, String title, String facade, String baseline,
      double bound) {
    return new Target(key, title, facade, Optional.of(baseline), Kind.RATIO_AT_LEAST, bound);
  }

  public static Target ratioAtMost(String key, String title, String facade, String baseline,
      double bound) {
    return new Target(key, title, facade, Optional.of(baseline), Kind.RATIO_AT_MOST, bound);
  }

  public static Target excessAtMost(String key, String title, String facade, String baseline,
      double bound) {
    return new Target(key, title, facade, Optional.of(baseline), Kind.EXCESS_AT_MOST, bound);
  }

  public static Target equalTo(String key, String title, String facade, double value) {
    return new Target(key, title, facade, Optional.empty(), Kind.EQUALS, value);
  }

  public static Target atMost(String key, String title, String facade, double value) {
    return new Target(key, title, facade, Optional.empty(), Kind.AT_MOST, value);
  }

  public static Target atLeast(String key, String title, String facade, double value) {
    return new Target(key, title, facade, Optional.empty(), Kind.AT_LEAST, value);
  }

  /** The outcome against {@code figures} (by name); "not measured" when one is missing. */
  public Outcome evaluate(Map<String, Figure> figures) {
    Figure f = figures.get(facade);
    Figure b = baseline.map(figures::get).orElse(null);
    if (f == null || (baseline.isPresent() && b == null)) {
      return new Outcome(this, Double.NaN, Status.NOT_MEASURED);
    }
    double value = switch (kind) {
      case RATIO_AT_LEAST, RATIO_AT_MOST -> f.value() / b.value();
      case EXCESS_AT_MOST -> f.value() - b.value();
      case EQUALS, AT_LEAST, AT_MOST -> f.value();
    };
    boolean met = switch (kind) {
      case RATIO_AT_LEAST, AT_LEAST -> value >= bound;
      case RATIO_AT_MOST, EXCESS_AT_MOST, AT_MOST -> value <= bound;
      case EQUALS -> Math.abs(value - bound) <= Math.abs(bound) * 0.01;
    };
    return new Outcome(this, value, met ? Status.MET : Status.MISSED);
  }

  /** Whether a target held. */
  public enum Status { MET, MISSED, NOT_MEASURED }

  /** A target with the value it reached. */
  public record Outcome(Target target, double value, Status status) {
    /** {@code ratio.<key>}, {@code excess.<key>} or {@code check.<key>}. */
    public String name() {
      return switch (target.kind) {
        case RATIO_AT_LEAST, RATIO_AT_MOST -> "ratio." + target.key;
        case EXCESS_AT_MOST -> "excess." + target.key;
        default -> "check." + target.key;
      };
    }

    /** What was compared: {@code a / b}, {@code a - b} or {@code a}. */
    public String formula() {
      return switch (target.kind) {
        case RATIO_AT_LEAST, RATIO_AT_MOST -> target.facade + " / " + target.baseline.orElseThrow();
        case EXCESS_AT_MOST -> target.facade + " - " + target.baseline.orElseThrow();
        default -> target.facade;
      };
    }

    /** {@code name value unit  # target ...: MET}. */
    public String line() {
      return name() + " " + Figure.format(value) + " " + (target.kind.unit.isEmpty() ? "-"
          : target.kind.unit) + "  # " + formula() + ", target " + target.kind.op + " "
          + Figure.format(target.bound) + ": " + status.name().replace('_', ' ');
    }

    public String threshold() {
      return String.format(Locale.ROOT, "%s %s%s", target.kind.op, Figure.format(target.bound),
          target.kind.unit.equals("x") ? " x" : "");
    }
  }
}
