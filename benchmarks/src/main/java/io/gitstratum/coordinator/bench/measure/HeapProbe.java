package io.gitstratum.coordinator.bench.measure;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live heap of another JVM: {@code jcmd <pid> GC.run} (a full collection, twice so that objects
 * freed by finalization or reference processing go too), then the used figure of
 * {@code jcmd <pid> GC.heap_info}. Differences of two probes divided by the number of objects
 * added give an approximate cost per object, including everything those objects keep alive.
 */
public final class HeapProbe {
  /** A generation's or the whole heap's line: G1 has one, Serial and Parallel one per generation. */
  private static final Pattern SPACE_USED = Pattern.compile("total \\d+K, used (\\d+)K");

  private HeapProbe() {}

  /** Used heap in bytes after full collections. */
  public static long liveHeapBytes(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    jcmd(pid, "GC.run");
    return usedBytes(jcmd(pid, "GC.heap_info"));
  }

  /**
   * The used heap in a {@code GC.heap_info} answer: the sum over its spaces. A JVM pinned to one
   * CPU runs the Serial collector, whose answer starts with the young generation (nearly empty
   * after a full collection) and lists the tenured one after it; Metaspace is not heap.
   */
  static long usedBytes(String info) throws IOException {
    Matcher m = SPACE_USED.matcher(info);
    long usedKb = 0;
    boolean found = false;
    while (m.find()) {
      usedKb += Long.parseLong(m.group(1));
      found = true;
    }
    if (!found) {
      throw new IOException("unexpected GC.heap_info output: " + info);
    }
    return usedKb * 1024;
  }

  /** The live objects by class (jcmd GC.class_histogram, which collects first). */
  public static String classHistogram(long pid) throws IOException, InterruptedException {
    return jcmd(pid, "GC.class_histogram");
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of("jcmd", String.valueOf(pid), command))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + command + " did not finish");
    }
    if (p.exitValue() != 0) {
      throw new IOException("jcmd " + command + " failed: " + out);
    }
    return out;
  }
}
