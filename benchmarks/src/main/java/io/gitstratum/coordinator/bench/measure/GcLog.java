package io.gitstratum.coordinator.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a JVM's {@code -Xlog:gc} file: the heap left after each collection bounds what was live
 * then from above (a young collection leaves old garbage in place), without stopping the JVM.
 */
public final class GcLog {
  private static final Pattern AFTER = Pattern.compile("(\\d+)M->(\\d+)M\\(");

  private GcLog() {}

  /** Lines written so far: where a later {@link #maxHeapAfterSince} starts. */
  public static int lines(Path log) throws IOException {
    return Files.exists(log) ? Files.readAllLines(log).size() : 0;
  }

  /** The largest heap after a collection logged after line {@code from}, in bytes; -1: none. */
  public static long maxHeapAfterSince(Path log, int from) throws IOException {
    List<String> lines = Files.readAllLines(log);
    long max = -1;
    for (String line : lines.subList(Math.min(from, lines.size()), lines.size())) {
      Matcher m = AFTER.matcher(line);
      if (m.find()) {
        max = Math.max(max, Long.parseLong(m.group(2)) << 20);
      }
    }
    return max;
  }
}
