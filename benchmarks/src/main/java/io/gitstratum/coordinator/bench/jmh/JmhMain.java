package io.gitstratum.coordinator.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the micro-benchmarks of this package and prints one {@code name value unit} line per
 * result, then writes them to {@code <out>/jmh-report.md}. {@code --quick} shortens warm-up and
 * measurement (for checking, not for numbers).
 */
public final class JmhMain {
  private JmhMain() {}

  public static void main(String[] args) throws RunnerException, IOException {
    boolean quick = List.of(args).contains("--quick");
    Path out = Path.of(List.of(args).contains("--out")
        ? args[List.of(args).indexOf("--out") + 1] : "benchmarks/target");
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include(JmhMain.class.getPackageName() + "\\..*Benchmark")
        .shouldFailOnError(true);
    if (quick) {
      options.warmupIterations(1).warmupTime(TimeValue.milliseconds(500))
          .measurementIterations(2).measurementTime(TimeValue.milliseconds(500));
    }
    Collection<RunResult> results = new Runner(options.build()).run();
    StringBuilder md = new StringBuilder("# JMH micro-benchmarks\n\n")
        .append("| benchmark | score | error (99.9 %) | unit |\n|---|---:|---:|---|\n");
    System.out.println();
    for (RunResult r : results) {
      BenchmarkParams p = r.getParams();
      String benchmark = p.getBenchmark();
      // Class.method of the fully qualified name.
      String shortName = benchmark.substring(benchmark.lastIndexOf('.',
          benchmark.lastIndexOf('.') - 1) + 1);
      String name = "jmh." + shortName + params(p);
      double score = r.getPrimaryResult().getScore();
      double error = r.getPrimaryResult().getScoreError();
      String unit = r.getPrimaryResult().getScoreUnit();
      System.out.println(name + " " + String.format(Locale.ROOT, "%.1f", score) + " " + unit);
      md.append("| `").append(name).append("` | ")
          .append(String.format(Locale.ROOT, "%.1f", score)).append(" | ")
          .append(String.format(Locale.ROOT, "%.1f", error)).append(" | ").append(unit)
          .append(" |\n");
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("jmh-report.md"), md.toString());
    System.out.println("# report: " + out.resolve("jmh-report.md").toAbsolutePath());
  }

  private static String params(BenchmarkParams p) {
    StringBuilder s = new StringBuilder();
    for (String key : p.getParamsKeys()) {
      s.append('.').append(key).append('=').append(p.getParam(key));
    }
    return s.toString();
  }
}
