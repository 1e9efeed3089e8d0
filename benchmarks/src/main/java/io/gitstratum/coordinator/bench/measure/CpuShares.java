package io.gitstratum.coordinator.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU used by named processes over one window (facade replica, etcd, this load generator), in
 * cores: 1.0 is one core busy for the whole window; this machine has
 * {@link Runtime#availableProcessors()} of them. Also reports {@code others}: the machine's busy
 * time (from /proc/stat) not used by the named processes, which shows how much a window was
 * disturbed by anything else running on the machine.
 */
public final class CpuShares {
  /** USER_HZ, the unit of /proc/stat. */
  private static final long TICKS_PER_SECOND = 100;

  private final Map<String, ProcessCpu> start = new LinkedHashMap<>();
  private long machineBusyTicks;
  private long startNanos;
  private double wallSeconds = Double.NaN;
  private long startEpochMs;
  private long endEpochMs;

  private CpuShares() {}

  /** Starts the window for {@code pids} (name → pid). */
  public static CpuShares begin(Map<String, Long> pids) throws IOException {
    CpuShares shares = new CpuShares();
    for (Map.Entry<String, Long> e : pids.entrySet()) {
      shares.start.put(e.getKey(), ProcessCpu.sample(e.getValue()));
    }
    shares.machineBusyTicks = machineBusyTicks();
    shares.startNanos = System.nanoTime();
    shares.startEpochMs = System.currentTimeMillis();
    return shares;
  }

  /** Cores used by each process since {@link #begin}. */
  public Map<String, Double> end() throws IOException {
    Map<String, Double> cores = new LinkedHashMap<>();
    double named = 0;
    for (Map.Entry<String, ProcessCpu> e : start.entrySet()) {
      double used = ProcessCpu.sample(e.getValue().pid()).coresBetween(e.getValue());
      cores.put(e.getKey(), used);
      named += used;
    }
    wallSeconds = (System.nanoTime() - startNanos) / 1e9;
    endEpochMs = System.currentTimeMillis();
    double busy = (machineBusyTicks() - machineBusyTicks) / (double) TICKS_PER_SECOND
        / wallSeconds;
    cores.put("others", Math.max(0, busy - named));
    return cores;
  }

  /** The window's length in seconds, once {@link #end} closed it (NaN before). */
  public double wallSeconds() {
    return wallSeconds;
  }

  /** When the window began, in epoch milliseconds (to find it in a flight recording). */
  public long startEpochMs() {
    return startEpochMs;
  }

  /** When {@link #end} closed the window, in epoch milliseconds (0 before). */
  public long endEpochMs() {
    return endEpochMs;
  }

  /** All CPUs' busy ticks so far: everything but idle and iowait on the "cpu" line. */
  private static long machineBusyTicks() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < f.length && i <= 8; i++) { // user .. steal
      if (i != 4 && i != 5) { // idle, iowait
        busy += Long.parseLong(f[i]);
      }
    }
    return busy;
  }
}
