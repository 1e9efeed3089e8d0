package io.gitstratum.coordinator.facade.clientit;

import io.gitstratum.coordinator.client.cli.CoordCtl;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs coordctl as separate {@code java} processes, on this JVM's class path (which holds the
 * client module, packaged or not, so it works with {@code -pl facade} as in a full build).
 * Output goes to temp files, so a process never blocks on a full pipe.
 */
final class CoordCtlProcesses {
  private static final Duration LIMIT = Duration.ofSeconds(30);

  /** A finished run. */
  record Result(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** A running process (for {@code watch}). */
  static final class Running {
    final Process process;
    final Path out;
    final Path err;

    Running(Process process, Path out, Path err) {
      this.process = process;
      this.out = out;
      this.err = err;
    }

    String stdout() {
      return read(out);
    }

    Result await() throws InterruptedException {
      if (!process.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("coordctl did not exit within " + LIMIT + "; stdout: "
            + read(out) + " stderr: " + read(err));
      }
      Result result = new Result(process.exitValue(), read(out), read(err));
      delete(out);
      delete(err);
      return result;
    }
  }

  private CoordCtlProcesses() {}

  static Result run(Map<String, String> env, String... args) throws InterruptedException {
    return start(env, args).await();
  }

  /** Runs independent command lines side by side (JVM start-up dominates); results in order. */
  static List<Result> runAll(Map<String, String> env, List<String[]> commandLines)
      throws InterruptedException {
    List<Running> running = new ArrayList<>();
    for (String[] args : commandLines) {
      running.add(start(env, args));
    }
    List<Result> results = new ArrayList<>();
    for (Running r : running) {
      results.add(r.await());
    }
    return results;
  }

  static Running start(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // A short-lived tool: these start fastest (the coordctl/coordctl script uses them too).
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"),
        CoordCtl.class.getName()));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("coordctl", ".out");
      Path err = Files.createTempFile("coordctl", ".err");
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectOutput(out.toFile()).redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      builder.environment().remove(CoordCtl.ENDPOINTS_ENV);
      builder.environment().putAll(env);
      return new Running(builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a temp file left behind is harmless
    }
  }
}
