package io.gitstratum.coordinator.bench.report;

import io.gitstratum.coordinator.bench.measure.Latencies;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the figures of one run, prints each as {@code name value unit} the moment it is
 * measured, and at the end prints the target checks and writes the Markdown report. Figures
 * measured before a failure are kept, so a partial run still reports what it saw.
 *
 * <p>Thread-safe: workloads may add figures from any thread.
 */
public final class Report {
  /** Foreign CPU (cores) above which a measured window counts as disturbed. */
  private static final double DISTURBED_CORES = 0.25;

  private final PrintStream out;
  private final Map<String, Figure> figures = new LinkedHashMap<>();
  private final Map<String, List<String>> notes = new LinkedHashMap<>();
  private final List<String> failures = new ArrayList<>();
  private final List<Target> targets = new ArrayList<>();
  private final Map<String, long[]> windows = new LinkedHashMap<>();
  private final Instant started = Instant.now();

  public Report(PrintStream out) {
    this.out = out;
  }

  /** Records and prints one figure; a later figure of the same name replaces it. */
  public synchronized void figure(String section, String name, double value, String unit,
      String note) {
    Figure figure = new Figure(section, name, value, unit, note);
    figures.put(name, figure);
    out.println(figure.line());
    out.flush();
  }

  public void figure(String section, String name, double value, String unit) {
    figure(section, name, value, unit, "");
  }

  /** The value of a figure measured so far in this run. */
  public synchronized java.util.Optional<Double> value(String name) {
    return java.util.Optional.ofNullable(figures.get(name)).map(Figure::value);
  }

  /** Mean, median, maximum and sample count of a few delays (seconds-scale events). */
  public void delays(String section, String name, Latencies delays, int expected, String note) {
    figure(section, name + ".mean_ms", delays.meanMs(), "ms", note);
    figure(section, name + ".p50_ms", delays.percentileMs(50), "ms");
    figure(section, name + ".max_ms", delays.maxMs(), "ms");
    figure(section, name + ".samples", delays.count(), "1", "of " + expected + " attempted");
  }

  /**
   * When the measured window {@code prefix} (a figure name prefix) ran, in epoch milliseconds:
   * saved with the figures, so that profile.sh can summarise a flight recording over just it.
   */
  public synchronized void window(String prefix, long startEpochMs, long endEpochMs) {
    windows.put(prefix, new long[] {startEpochMs, endEpochMs});
  }

  /** A sentence for the report's section on how {@code section} was measured. */
  public synchronized void note(String section, String text) {
    notes.computeIfAbsent(section, s -> new ArrayList<>()).add(text);
  }

  /** A workload that could not finish; the run goes on with the next one. */
  public synchronized void failed(String section, Throwable error) {
    String line = section + ": " + error;
    failures.add(line);
    out.println("# FAILED " + line);
    out.flush();
  }

  public synchronized void target(Target target) {
    targets.add(target);
  }

  public synchronized List<Target.Outcome> outcomes() {
    return targets.stream().map(t -> t.evaluate(figures)).toList();
  }

  /** Prints the ratio and check lines. */
  public synchronized void printOutcomes() {
    for (Target.Outcome outcome : outcomes()) {
      out.println(outcome.line() + disturbance(outcome.target()).map(d -> " (" + d + ")")
          .orElse(""));
    }
    out.flush();
  }

  /**
   * Whether other processes on the machine took CPU while a compared figure was measured: the
   * {@code cpu_others_cores} figure of the same window (same name prefix), when there is one.
   */
  private java.util.Optional<String> disturbance(Target target) {
    List<String> names = new ArrayList<>(List.of(target.facade()));
    target.baseline().ifPresent(names::add);
    List<String> disturbed = new ArrayList<>();
    for (String name : names) {
      int dot = name.lastIndexOf('.');
      Figure others = dot < 0 ? null : figures.get(name.substring(0, dot) + ".cpu_others_cores");
      if (others != null && others.value() >= DISTURBED_CORES) {
        disturbed.add(name.substring(0, dot) + " " + Figure.format(others.value()));
      }
    }
    return disturbed.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(
        "disturbed: other processes used cores during " + String.join(", ", disturbed));
  }

  /** Writes the Markdown report: machine, targets, figures by section, notes, failures. */
  public synchronized void writeMarkdown(Path file, Map<String, String> machine)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# gitstratum-coordinator benchmark report\n\n");
    md.append("Started ").append(started).append(", finished ").append(Instant.now())
        .append(".\n\n");
    md.append("| machine | |\n|---|---|\n");
    machine.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    md.append("\n## Targets (issues 8, 23 and 26)\n\n");
    md.append("| target | facade | baseline | value | goal | status | disturbed |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (Target.Outcome o : outcomes()) {
      Target t = o.target();
      md.append("| ").append(t.title())
          .append(" | ").append(describe(t.facade()))
          .append(" | ").append(t.baseline().map(this::describe).orElse("-"))
          .append(" | ").append(Figure.format(o.value()))
          .append(" | ").append(o.threshold())
          .append(" | ").append(o.status().name().replace('_', ' '))
          .append(" | ").append(disturbance(t).orElse("")).append(" |\n");
    }
    Map<String, List<Figure>> bySection = new LinkedHashMap<>();
    figures.values().forEach(f ->
        bySection.computeIfAbsent(f.section(), s -> new ArrayList<>()).add(f));
    for (Map.Entry<String, List<Figure>> section : bySection.entrySet()) {
      md.append("\n## ").append(section.getKey()).append("\n\n");
      md.append("| figure | value | unit | note |\n|---|---:|---|---|\n");
      for (Figure f : section.getValue()) {
        md.append("| `").append(f.name()).append("` | ").append(Figure.format(f.value()))
            .append(" | ").append(f.unit()).append(" | ").append(f.note()).append(" |\n");
      }
      List<String> sectionNotes = notes.getOrDefault(section.getKey(), List.of());
      if (!sectionNotes.isEmpty()) {
        md.append('\n');
        sectionNotes.forEach(n -> md.append("- ").append(n).append('\n'));
      }
    }
    notes.forEach((section, list) -> {
      if (!bySection.containsKey(section)) {
        md.append("\n## ").append(section).append("\n\n");
        list.forEach(n -> md.append("- ").append(n).append('\n'));
      }
    });
    if (!failures.isEmpty()) {
      md.append("\n## Failures\n\n");
      failures.forEach(f -> md.append("- ").append(f).append('\n'));
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, md.toString());
  }

  private String describe(String name) {
    Figure f = figures.get(name);
    return f == null ? "`" + name + "` (missing)"
        : "`" + name + "` " + Figure.format(f.value()) + " " + f.unit();
  }

  /**
   * Writes every figure, note and failure to {@code file}, one tab-separated record a line, for
   * the runner to {@link #merge} (a workload's JVM hands its results over this way).
   */
  public synchronized void save(Path file) throws IOException {
    StringBuilder out = new StringBuilder();
    figures.values().forEach(f -> out.append(String.join("\t", "figure", clean(f.section()),
        clean(f.name()), Double.toString(f.value()), clean(f.unit()), clean(f.note())))
        .append('\n'));
    notes.forEach((section, list) -> list.forEach(n -> out.append(String.join("\t", "note",
        clean(section), clean(n))).append('\n')));
    failures.forEach(f -> out.append("failed\t").append(clean(f)).append('\n'));
    windows.forEach((prefix, w) -> out.append(String.join("\t", "window", clean(prefix),
        Long.toString(w[0]), Long.toString(w[1]))).append('\n'));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, out.toString());
  }

  /** Adds what {@link #save} wrote, without printing the figures again. */
  public synchronized void merge(Path file) throws IOException {
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split("\t", -1);
      switch (f[0]) {
        case "figure" -> figures.put(f[2],
            new Figure(f[1], f[2], Double.parseDouble(f[3]), f[4], f[5]));
        case "note" -> notes.computeIfAbsent(f[1], k -> new ArrayList<>()).add(f[2]);
        case "failed" -> failures.add(f[1]);
        case "window" -> windows.put(f[1],
            new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
        default -> throw new IOException("unknown record in " + file + ": " + line);
      }
    }
  }

  private static String clean(String text) {
    return text.replace('\t', ' ').replace('\n', ' ');
  }

  public synchronized boolean hasFailures() {
    return !failures.isEmpty();
  }
}
