package io.gitstratum.coordinator.facade.history;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.history.HistoryDriver.Run;
import io.gitstratum.coordinator.facade.history.HistoryDriver.Settings;
import io.gitstratum.coordinator.facade.history.Operation.Failed;
import io.gitstratum.coordinator.facade.history.Operation.Ok;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The history checker on real replicas: for each seed, {@link HistoryDriver} runs clients,
 * watchers and faults (etcd members delayed and black-holed, replicas stopped and restarted)
 * over three etcd members and three replicas, and {@link HistoryChecker} checks what they
 * recorded against the sequential model. A failure names the seed, the faults, the violations,
 * and the file under {@code facade/target/history/} that holds the whole history.
 *
 * <p>CI runs two seeds of up to 1,500 calls or 16 s each. By hand, longer, with system
 * properties (or the environment variables in brackets):
 *
 * <pre>
 * mvn -B -pl facade -am test -Dtest=HistoryCheckTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dhistory.seeds=7,8 -Dhistory.operations=12000 -Dhistory.seconds=300
 * </pre>
 *
 * <ul>
 *   <li>{@code history.seeds} ({@code HISTORY_SEEDS}): comma-separated seeds, or {@code random}
 *       for one new seed (printed); default {@code 1,2}
 *   <li>{@code history.operations} ({@code HISTORY_OPERATIONS}): calls per seed; default 1500
 *   <li>{@code history.seconds} ({@code HISTORY_SECONDS}): at most this long per seed; default 16
 * </ul>
 *
 * <p>A seed replays the requests each client sends and the faults, in order; the answers and the
 * timing of a busy machine still differ, so a failure may need a few runs of its seed.
 */
@Tag("etcd")
class HistoryCheckTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.threeMembers();

  private static final int REPLICAS = 3;
  private static final int CLIENTS = 10;
  private static final int WATCHERS = 3;
  private static final int NODES = 12;
  private static final int SHOWN = 25;

  @TestFactory
  Stream<DynamicTest> historiesFitTheSequentialModel() {
    int operations = Integer.parseInt(setting("history.operations", "HISTORY_OPERATIONS", "1500"));
    Duration duration = Duration.ofSeconds(
        Long.parseLong(setting("history.seconds", "HISTORY_SECONDS", "16")));
    return seeds().stream().map(seed -> DynamicTest.dynamicTest("seed " + seed, () ->
        assertTimeoutPreemptively(duration.plusSeconds(150), () -> check(new Settings(seed,
            operations, duration, REPLICAS, CLIENTS, WATCHERS, NODES)))));
  }

  private static void check(Settings settings) throws Exception {
    Run run;
    try {
      run = HistoryDriver.run(settings, etcd.endpoints(), "history-" + settings.seed());
    } catch (Exception | AssertionError e) {
      throw new AssertionError(settings + ": the run failed before its history could be "
          + "checked; replay with -Dhistory.seeds=" + settings.seed(), e);
    }
    long checking = System.nanoTime();
    List<Violation> violations = HistoryChecker.check(run.history());
    Duration checked = Duration.ofNanos(System.nanoTime() - checking);
    System.out.println(summary(settings, run, checked));
    if (violations.isEmpty()) {
      assertTamperingNoticed(run.history());
    } else {
      Path file = write(settings, run, violations);
      throw new AssertionError(String.format("%s: %d violations of the sequential model "
          + "(whole history in %s); replay with -Dhistory.seeds=%d -Dhistory.operations=%d "
          + "-Dhistory.seconds=%d%nfaults:%n  %s%nviolations:%n  %s", settings, violations.size(),
          file, settings.seed(), settings.operations(), settings.duration().toSeconds(),
          String.join("\n  ", run.faults()), violations.stream().limit(SHOWN)
              .map(Violation::toString).collect(Collectors.joining("\n  "))));
    }
  }

  /**
   * The checker is not vacuous on a real history: each lie planted in this one (an answer moved
   * to the next version, a change cut from etcd's log, a node missing from one cache) is found.
   */
  private static void assertTamperingNoticed(History h) {
    List<Operation> ops = new ArrayList<>(h.operations());
    ops.stream().filter(op -> op.outcome() instanceof Ok ok && !ok.alreadyRegistered()
        && op.kind() == Operation.Kind.REGISTER).findFirst().ifPresent(op -> {
          ops.set(op.id(), new Operation(op.id(), op.client(), op.replica(), op.kind(),
              op.nodeId(), op.generation(), op.address(), op.port(), op.invokedNanos(),
              op.completedNanos(), new Ok(((Ok) op.outcome()).version() + 1, false)));
          assertRejected("an answer moved to the next version", Violation.Rule.ACK_NOT_VISIBLE,
              new History(h.log(), ops, h.watches(), h.end()));
        });
    List<LoggedEvent> log = new ArrayList<>(h.log());
    log.remove(log.size() / 2);
    assertRejected("a change cut from the log", Violation.Rule.LOG_NOT_DENSE,
        new History(log, h.operations(), h.watches(), h.end()));
    Map<String, History.Snapshot> caches = new TreeMap<>(h.end().replicas());
    String replica = caches.keySet().iterator().next();
    History.Snapshot cache = caches.get(replica);
    if (!cache.nodes().isEmpty()) {
      caches.put(replica, new History.Snapshot(cache.version(),
          cache.nodes().subList(1, cache.nodes().size())));
      assertRejected("a node missing from a cache", Violation.Rule.FINAL_STATE, new History(
          h.log(), h.operations(), h.watches(), new History.End(h.end().etcdVersion(),
              h.end().etcdNodes(), caches)));
    }
  }

  private static void assertRejected(String lie, Violation.Rule rule, History tampered) {
    List<Violation> found = HistoryChecker.check(tampered);
    assertTrue(found.stream().anyMatch(v -> v.rule() == rule), lie + " went unnoticed: expected "
        + rule + ", found " + found.stream().limit(5).toList());
  }

  private static String summary(Settings settings, Run run, Duration checked) {
    History h = run.history();
    Map<String, Long> outcomes = h.operations().stream().collect(Collectors.groupingBy(
        op -> op.kind() + " " + (op.outcome() instanceof Ok ? "ok"
            : op.outcome() instanceof Failed f ? f.code().name() : "unknown"),
        TreeMap::new, Collectors.counting()));
    long watched = h.watches().stream().mapToLong(w -> w.received().size()).sum();
    return String.format("history %s: %d calls in %.1f s (%s); %d versions in etcd's log; %d "
        + "watch streams, %d messages; %d faults; %d replicas checked at v%d; checked in %d ms",
        settings, h.operations().size(), run.took().toMillis() / 1000.0, outcomes, h.log().size(),
        h.watches().size(), watched, run.faults().size(), h.end().replicas().size(),
        h.end().etcdVersion(), checked.toMillis());
  }

  private static Path write(Settings settings, Run run, List<Violation> violations)
      throws IOException {
    Path dir = Path.of("target", "history");
    Files.createDirectories(dir);
    Path file = dir.resolve("seed-" + settings.seed() + ".txt");
    List<String> lines = new ArrayList<>();
    lines.add(settings.toString());
    lines.add("== violations");
    violations.forEach(v -> lines.add(v.toString()));
    lines.add("== faults");
    lines.addAll(run.faults());
    lines.add("== etcd's log (version, arrival ns)");
    run.history().log().forEach(e -> lines.add(TopologyModel.brief(e.update()) + " @"
        + e.arrivedNanos()));
    lines.add("== calls (sent ns, answered ns)");
    run.history().operations().forEach(op -> lines.add(op + " @" + op.invokedNanos() + ".."
        + op.completedNanos()));
    lines.add("== watch streams");
    run.history().watches().forEach(w -> lines.add(w.watcher() + " on " + w.replica() + " since v"
        + w.sinceVersion() + ": " + w.received().stream().map(u -> u.hasFullSync()
            ? "full_sync v" + u.getVersion() : u.hasKeepalive() ? "keepalive"
            : u.hasLagged() ? "lagged" : TopologyModel.brief(u))
            .collect(Collectors.joining(", "))));
    lines.add("== end: etcd v" + run.history().end().etcdVersion());
    run.history().end().etcdNodes().forEach(n -> lines.add("  " + TopologyModel.brief(n)));
    Files.write(file, lines);
    return file.toAbsolutePath();
  }

  private static List<Long> seeds() {
    String seeds = setting("history.seeds", "HISTORY_SEEDS", "1,2");
    if (seeds.equals("random")) {
      return List.of(ThreadLocalRandom.current().nextLong(1, 1_000_000));
    }
    return Arrays.stream(seeds.split(",")).map(String::trim).map(Long::parseLong).toList();
  }

  private static String setting(String property, String variable, String otherwise) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(variable);
    }
    return value == null || value.isBlank() ? otherwise : value;
  }
}
