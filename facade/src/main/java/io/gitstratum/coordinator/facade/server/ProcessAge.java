package io.gitstratum.coordinator.facade.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How long ago this process started, for the log line that says it serves: a start's whole
 * cost, JVM included. Read from Linux's /proc (precise to a clock tick, 10 ms): the JDK's
 * ProcessHandle start instant rests on a boot time rounded to the second.
 */
final class ProcessAge {
  /** Linux's USER_HZ, the unit of /proc/PID/stat's start time, on every mainstream platform. */
  private static final double TICKS_PER_SECOND = 100;

  private ProcessAge() {}

  /** For example "0.83 s", or "unknown" off Linux. */
  static String describe() {
    try {
      double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
      return String.format(Locale.ROOT, "%.2f s", age(Files.readString(Path.of("/proc/self/stat")),
          uptime));
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * Seconds between a process's start, from its /proc/PID/stat line, and {@code uptime} (the
   * system's, /proc/uptime).
   */
  static double age(String stat, double uptime) {
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    long startTicks = Long.parseLong(fields[19]); // field 22, starttime
    return uptime - startTicks / TICKS_PER_SECOND;
  }
}
