package io.gitstratum.coordinator.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a process from {@code /proc/<pid>/stat} (user + system, all threads), for CPU
 * shares over a window: take one sample before and one after, then {@link #coresBetween}.
 *
 * @param pid the process
 * @param cpuNanos its CPU time so far
 * @param wallNanos {@link System#nanoTime()} when read
 */
public record ProcessCpu(long pid, long cpuNanos, long wallNanos) {
  /** USER_HZ: the unit of /proc's tick counts; 100 on every Linux this runs on. */
  private static final long TICKS_PER_SECOND = 100;

  public static ProcessCpu sample(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    // The command name (field 2) may hold spaces; fields after its closing parenthesis do not.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
    return new ProcessCpu(pid, ticks * 1_000_000_000L / TICKS_PER_SECOND, System.nanoTime());
  }

  public static ProcessCpu self() throws IOException {
    return sample(ProcessHandle.current().pid());
  }

  /** Cores used on average between {@code earlier} and this sample (1.0 = one full core). */
  public double coresBetween(ProcessCpu earlier) {
    long wall = wallNanos - earlier.wallNanos;
    return wall <= 0 ? Double.NaN : (double) (cpuNanos - earlier.cpuNanos) / wall;
  }

  /** Resident set size in bytes, from {@code /proc/<pid>/status}. */
  public static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }
}
