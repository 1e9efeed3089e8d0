package io.gitstratum.coordinator.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What the run ran on, for the report's header: CPU, cores, memory, kernel, JDK, etcd. */
public final class MachineInfo {
  private MachineInfo() {}

  public static Map<String, String> describe(Path etcdBinary, String mode) {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("mode", mode);
    info.put("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name").orElse("unknown"));
    info.put("cores (available to the JVM)",
        String.valueOf(Runtime.getRuntime().availableProcessors()));
    info.put("memory", firstValue(Path.of("/proc/meminfo"), "MemTotal").orElse("unknown"));
    info.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    info.put("java", System.getProperty("java.vm.name") + " "
        + System.getProperty("java.runtime.version"));
    info.put("load average at start (1/5/15 min)", loadAverage());
    info.put("etcd", command(List.of(etcdBinary.toString(), "--version")).lines().findFirst()
        .orElse("unknown"));
    return info;
  }

  /** The machine's load averages, to show whether something else ran during the benchmark. */
  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static Optional<String> firstValue(Path file, String key) {
    try {
      return Files.readAllLines(file).stream()
          .filter(l -> l.startsWith(key))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String command(List<String> argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "unknown";
      }
      return new String(p.getInputStream().readAllBytes()).trim();
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
