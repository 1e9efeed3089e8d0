package io.gitstratum.coordinator.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A workload JVM's results reach the runner's report whole, and are printed only once. */
class ReportTest {
  @TempDir
  Path dir;

  @Test
  void savedFiguresNotesFailuresAndWindowsMergeIntoTheRunnersReportWithoutPrintingAgain()
      throws Exception {
    Report workload = new Report(new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8));
    workload.figure("Facade: Heartbeat", "facade.heartbeat.c1.per_s", 2452.5, "1/s",
        "a note\twith a tab\nand a line break");
    workload.note("Facade: Heartbeat", "1,000 nodes");
    workload.window("facade.heartbeat.c1", 1_000, 2_000);
    workload.failed("Facade: Heartbeat", new IllegalStateException("setup failed"));
    Path file = dir.resolve("heartbeat.tsv");
    workload.save(file);

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Report runner = new Report(new PrintStream(printed, true, StandardCharsets.UTF_8));
    runner.target(Target.atLeast("hb", "heartbeats", "facade.heartbeat.c1.per_s", 2000));
    runner.merge(file);

    assertEquals(Optional.of(2452.5), runner.value("facade.heartbeat.c1.per_s"));
    assertEquals("", printed.toString(StandardCharsets.UTF_8));
    assertEquals(Target.Status.MET, runner.outcomes().get(0).status());
    assertTrue(runner.hasFailures());
    Path md = dir.resolve("report.md");
    runner.writeMarkdown(md, Map.of());
    String report = Files.readString(md);
    assertTrue(report.contains("a note with a tab and a line break"), report);
    assertTrue(report.contains("- 1,000 nodes"), report);
    assertTrue(report.contains("Facade: Heartbeat: java.lang.IllegalStateException: setup failed"),
        report);
    // The measured window's times travel on, for profile.sh to cut the flight recording.
    Path again = dir.resolve("again.tsv");
    runner.save(again);
    assertTrue(Files.readAllLines(again).contains("window\tfacade.heartbeat.c1\t1000\t2000"),
        Files.readString(again));
  }
}
