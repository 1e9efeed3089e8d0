package io.gitstratum.coordinator.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises the CPU samples of a flight recording (as {@code run.sh --profile} writes them):
 * samples by thread pool, by top frame, and by project method anywhere on the stack
 * (inclusive). Usage: {@code JfrSummary FILE.jfr [--last SECONDS] [--between FROM TO]
 * [--top N]}; {@code --last} keeps only the final seconds of the recording (the end of a long
 * run), {@code --between} only the samples between two epoch-millisecond times (a measured
 * window, as the results files of the benchmark's workloads record them).
 */
public final class JfrSummary {
  private static final String PROJECT = "io.gitstratum.";

  private JfrSummary() {}

  public static void main(String[] args) throws IOException {
    Path file = Path.of(args[0]);
    List<String> rest = List.of(args).subList(1, args.length);
    int top = rest.contains("--top") ? Integer.parseInt(rest.get(rest.indexOf("--top") + 1)) : 25;
    long lastSeconds = rest.contains("--last")
        ? Long.parseLong(rest.get(rest.indexOf("--last") + 1)) : Long.MAX_VALUE;
    Instant from = rest.contains("--between")
        ? Instant.ofEpochMilli(Long.parseLong(rest.get(rest.indexOf("--between") + 1)))
        : Instant.MIN;
    Instant to = rest.contains("--between")
        ? Instant.ofEpochMilli(Long.parseLong(rest.get(rest.indexOf("--between") + 2)))
        : Instant.MAX;
    List<RecordedEvent> samples = RecordingFile.readAllEvents(file).stream()
        .filter(e -> e.getEventType().getName().equals("jdk.ExecutionSample"))
        .filter(e -> e.getStackTrace() != null)
        .filter(e -> !e.getStartTime().isBefore(from) && !e.getStartTime().isAfter(to))
        .toList();
    Instant end = samples.stream().map(RecordedEvent::getStartTime).max(Instant::compareTo)
        .orElse(Instant.EPOCH);
    Map<String, Integer> threads = new HashMap<>();
    Map<String, Integer> frames = new HashMap<>();
    Map<String, Integer> inclusive = new HashMap<>();
    int total = 0;
    for (RecordedEvent e : samples) {
      if (lastSeconds != Long.MAX_VALUE
          && e.getStartTime().isBefore(end.minusSeconds(lastSeconds))) {
        continue;
      }
      total++;
      String thread = e.getThread("sampledThread") == null ? "?"
          : e.getThread("sampledThread").getJavaName();
      threads.merge(pool(thread), 1, Integer::sum);
      RecordedStackTrace stack = e.getStackTrace();
      List<RecordedFrame> fs = stack.getFrames();
      if (!fs.isEmpty()) {
        frames.merge(name(fs.get(0)), 1, Integer::sum);
      }
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : fs) {
        String n = name(f);
        if (n.startsWith(PROJECT) && seen.add(n)) {
          inclusive.merge(n, 1, Integer::sum);
        }
      }
    }
    System.out.println(file + ": " + total + " CPU samples");
    print("threads (pools)", threads, total, top);
    print("top frames", frames, total, top);
    print("project methods on the stack (inclusive)", inclusive, total, top);
  }

  /** A thread's pool: its name without the trailing number. */
  private static String pool(String thread) {
    return thread == null ? "?" : thread.replaceAll("[-#]?\\d+$", "");
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Integer> counts, int total, int top) {
    System.out.println("--- " + title);
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(e -> System.out.printf("%6d  %5.1f%%  %s%n", e.getValue(),
            100.0 * e.getValue() / Math.max(1, total), e.getKey()));
  }
}
