package io.gitstratum.coordinator.bench.raw;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.watch.WatchEvent;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ArrivalRound;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.Latencies;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The fan-out baseline: 1,000 watchers directly on etcd (spread over 4 jetcd clients, as a
 * fleet of services would be over several connections), all on one key. Each round puts the key
 * and measures put sent → last watcher's event.
 */
public final class RawWatchWorkload implements Workload {
  static final String SECTION = "Raw etcd: 1,000 direct watchers";
  private static final int WATCHERS = 1_000;
  private static final int CLIENTS = 4;

  /** The round in progress; watchers ignore events while it is null. */
  private volatile ArrivalRound current;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return Duration.ofMillis(150L * s.watchRounds()).plusSeconds(30); // 1,000 watchers set up
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    ByteSequence key = RawCasWorkload.bytes("/bench/raw-watch/key");
    List<Client> clients = new ArrayList<>();
    List<Watch.Watcher> watchers = new ArrayList<>();
    current = null;
    try {
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(rig.newJetcd());
      }
      double before = rig.etcdWatchers();
      long setupStart = System.nanoTime();
      for (int i = 0; i < WATCHERS; i++) {
        int index = i;
        watchers.add(clients.get(i % CLIENTS).getWatchClient().watch(key, Watch.listener(
            response -> {
              ArrivalRound round = current;
              if (round == null) {
                return;
              }
              for (WatchEvent e : response.getEvents()) {
                round.saw(index, Long.parseLong(
                    e.getKeyValue().getValue().toString(StandardCharsets.UTF_8)));
              }
            },
            error -> { },
            () -> { })));
      }
      double during = awaitWatchers(rig, before + WATCHERS, 60_000);
      double setupMs = (System.nanoTime() - setupStart) / 1e6;

      Latencies latencies = new Latencies(rig.settings().watchRounds());
      int missed = 0;
      CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
          "driver", ProcessHandle.current().pid()));
      for (int round = 1; round <= rig.settings().watchRounds(); round++) {
        ArrivalRound r = new ArrivalRound(round, WATCHERS);
        current = r;
        long sent = System.nanoTime();
        rig.jetcd().getKVClient().put(key, RawCasWorkload.bytes(Long.toString(round)))
            .get(10, TimeUnit.SECONDS);
        if (r.await(30_000)) {
          latencies.add(r.last() - sent);
        } else {
          missed++;
        }
        Thread.sleep(10);
      }
      CpuFigures.report(report, SECTION, "raw.watch.w1000", cpu, cpu.end(),
          (double) (rig.settings().watchRounds() - missed) * WATCHERS, "watcher_event",
          "during the measured changes (a change at a time); per change and watcher");
      report.note(SECTION, "1,000 jetcd watchers on one key over " + CLIENTS + " clients; a round "
          + "puts the key and times put sent -> the last watcher's event.");
      report.figure(SECTION, "raw.watch.w1000.setup_ms", setupMs, "ms",
          "until etcd counts all 1,000 watchers");
      report.figure(SECTION, "raw.watch.w1000.p50_ms", latencies.percentileMs(50), "ms",
          "put sent -> last of 1,000 watchers, " + latencies.count() + " puts");
      report.figure(SECTION, "raw.watch.w1000.p99_ms", latencies.percentileMs(99), "ms");
      report.figure(SECTION, "raw.watch.w1000.etcd_watchers_added", during - before, "1",
          "etcd_debugging_mvcc_watcher_total");
      if (missed > 0) {
        report.figure(SECTION, "raw.watch.w1000.rounds_missed", missed, "1");
      }
    } finally {
      current = null;
      watchers.forEach(Watch.Watcher::close);
      clients.forEach(Client::close);
      rig.settledEtcdWatchers(); // the next workload counts etcd watchers from a quiet etcd
    }
  }

  /** Polls etcd's watcher count until it reaches {@code target}; returns the last count. */
  static double awaitWatchers(Rig rig, double target, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    double count;
    while ((count = rig.etcdWatchers()) < target && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    return count;
  }
}
