package io.gitstratum.coordinator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the rig's processes run: with {@code taskset} and at least two CPUs, the replica (facade
 * JVM) and etcd on CPU {@value #SERVER_CPU} and each workload's load generator on CPU
 * {@value #GENERATOR_CPU}, so that the generator's work never takes CPU from what it measures.
 * Otherwise nothing is pinned and {@link #describe()} says why.
 *
 * @param pinned whether processes are pinned
 * @param why the reason when they are not
 */
public record Pinning(boolean pinned, String why) {
  public static final int SERVER_CPU = 0;
  public static final int GENERATOR_CPU = 1;

  /** Decides for this machine: pinned when {@code taskset} runs and there are 2 CPUs or more. */
  public static Pinning detect() {
    int cpus = Runtime.getRuntime().availableProcessors();
    if (cpus < 2) {
      return new Pinning(false, "only " + cpus + " CPU available");
    }
    if (!tasksetWorks()) {
      return new Pinning(false, "taskset not found (util-linux)");
    }
    return new Pinning(true, "");
  }

  public static Pinning off(String why) {
    return new Pinning(false, why);
  }

  /** The command prefix that starts a process on the replica's CPU (empty when unpinned). */
  public List<String> serverLauncher() {
    return launcher(SERVER_CPU);
  }

  /** The command prefix that starts a load generator on its own CPU (empty when unpinned). */
  public List<String> generatorLauncher() {
    return launcher(GENERATOR_CPU);
  }

  private List<String> launcher(int cpu) {
    return pinned ? List.of("taskset", "-c", String.valueOf(cpu)) : List.of();
  }

  /**
   * Moves every thread of a running process to the replica's CPU (threads it starts later
   * inherit it), for processes started by code that takes no launcher (etcd).
   */
  public void pinToServerCpu(long pid) throws IOException, InterruptedException {
    if (!pinned) {
      return;
    }
    Process p = new ProcessBuilder(List.of("taskset", "-a", "-p", "-c",
        String.valueOf(SERVER_CPU), String.valueOf(pid))).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("taskset could not pin pid " + pid + " to CPU " + SERVER_CPU);
    }
  }

  /** The CPUs a process may run on, from {@code /proc/<pid>/status} (such as "0" or "0-1"). */
  public static String cpusAllowed(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      return "?";
    }
    return "?";
  }

  /** One line for the report. */
  public String describe() {
    return pinned ? "taskset: replica (facade JVM) and etcd on CPU " + SERVER_CPU
        + ", each workload's load generator (a fresh JVM) on CPU " + GENERATOR_CPU
        : "not pinned (" + why + "): replica, etcd and load generator share the CPUs";
  }

  /** The child's command-line form, for {@link #parse}. */
  public String flag() {
    return pinned ? "on" : "off:" + why;
  }

  public static Pinning parse(String flag) {
    return flag.equals("on") ? new Pinning(true, "") : off(flag.replaceFirst("^off:", ""));
  }

  private static boolean tasksetWorks() {
    try {
      Process p = new ProcessBuilder(new ArrayList<>(List.of("taskset", "-c", "0", "true")))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
