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
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  private HeapProbe() {}

  /** Used heap in bytes after full collections. */
  public static long liveHeapBytes(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher m = USED.matcher(info);
    if (!m.find()) {
      throw new IOException("unexpected GC.heap_info output: " + info);
    }
    return Long.parseLong(m.group(1)) * 1024;
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
