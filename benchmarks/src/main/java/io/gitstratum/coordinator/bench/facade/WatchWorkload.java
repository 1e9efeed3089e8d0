package io.gitstratum.coordinator.bench.facade;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.ArrivalRound;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.HeapProbe;
import io.gitstratum.coordinator.bench.measure.Latencies;
import io.gitstratum.coordinator.bench.measure.ProcessCpu;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * WatchTopology fan-out on ONE replica: 1,000 then 10,000 streams (from this process, over 8
 * connections). Each round registers a node and measures RegisterNode sent → the last stream's
 * update; a direct etcd watcher on the version key also timestamps the commit, for
 * commit → last stream. Reports setup time, etcd's watcher count, and heap per stream.
 */
public final class WatchWorkload implements Workload {
  static final String SECTION = "Facade: WatchTopology fan-out on one replica";
  private static final int CHANNELS = 8;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    // 11,000 streams opened and synced, two rounds of changes, three heap probes
    return Duration.ofMillis(2 * 400L * s.watchRounds()).plusSeconds(75);
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    FacadeProcess facade = rig.facade(FacadeProfile.WATCH);
    CoordinatorServiceBlockingStub writer = CoordinatorServiceGrpc.newBlockingStub(
        facade.newChannel());
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < CHANNELS; i++) {
      channels.add(facade.newDirectChannel());
    }
    report.note(SECTION, "Streams are opened from this load generator over " + CHANNELS
        + " HTTP/2 connections and each starts with a full_sync. A round registers one node and "
        + "times RegisterNode sent -> the last stream receiving that version (the client's own "
        + "decoding, on the same two cores, is included, as it is for the raw watchers). Heap "
        + "per stream: live heap after full GC with 10,000 streams minus with none.");
    double watchersWithReplica = rig.settledEtcdWatchers();
    long heapIdle = HeapProbe.liveHeapBytes(facade.pid());
    long rssIdle = ProcessCpu.rssBytes(facade.pid());
    for (int size : new int[] {1_000, 10_000}) {
      String w = "facade.watch.w" + size;
      long setupStart = System.nanoTime();
      try (WatchFleet fleet = WatchFleet.open(channels, size)) {
        if (!fleet.awaitSynced(120_000)) {
          throw new IllegalStateException(size + " streams not all synced; errors "
              + fleet.errors());
        }
        report.figure(SECTION, w + ".setup_ms", (System.nanoTime() - setupStart) / 1e6, "ms",
            "opening " + size + " streams until each has its full_sync");
        double etcdWatchers = rig.etcdWatchers();
        report.figure(SECTION, w + ".etcd_watchers_for_replica",
            etcdWatchers - facade.etcdWatchersBefore(), "1",
            "etcd_debugging_mvcc_watcher_total with the replica and its streams, minus before "
                + "the replica started");
        report.figure(SECTION, w + ".etcd_watchers_added_by_streams",
            etcdWatchers - watchersWithReplica, "1");
        if (size == 10_000) {
          long heap = HeapProbe.liveHeapBytes(facade.pid());
          report.figure(SECTION, "facade.watch.heap_per_stream_bytes",
              (double) (heap - heapIdle) / size, "B",
              "live heap after full GC (jcmd GC.run; GC.heap_info) with 10,000 streams minus "
                  + "with none, / 10,000");
          report.figure(SECTION, "facade.watch.rss_per_stream_bytes",
              (double) (ProcessCpu.rssBytes(facade.pid()) - rssIdle) / size, "B",
              "VmRSS difference, / 10,000");
        }
        measureRounds(rig, report, facade, writer, fleet, size, w);
      }
    }
  }

  private void measureRounds(Rig rig, Report report, FacadeProcess facade,
      CoordinatorServiceBlockingStub writer, WatchFleet fleet, int size, String w)
      throws Exception {
    int rounds = rig.settings().watchRounds();
    Latencies fromRpc = new Latencies(rounds);
    Latencies fromCommit = new Latencies(rounds);
    int missed = 0;
    CpuShares cpu;
    // The commit as etcd's own watchers see it: the version key of this replica's prefix.
    AtomicLong committedAt = new AtomicLong();
    ByteSequence versionKey = ByteSequence.from(
        Keyspace.of(Keyspace.DEFAULT_ROOT, facade.profile().cluster()).version(),
        StandardCharsets.UTF_8);
    try (Watch.Watcher probe = rig.jetcd().getWatchClient().watch(versionKey, Watch.listener(
        response -> committedAt.compareAndSet(0, System.nanoTime()), e -> { }, () -> { }))) {
      Thread.sleep(200); // let the probe's watch be created before the first round
      cpu = CpuShares.begin(Map.of("facade", facade.pid(), "etcd", rig.etcdPid(),
          "driver", ProcessHandle.current().pid()));
      long version = writer.getTopology(GetTopologyRequest.newBuilder().setLinearizable(true)
          .build()).getVersion();
      for (int round = 0; round < rounds; round++) {
        long expected = version + 1;
        ArrivalRound r = new ArrivalRound(expected, size);
        fleet.track(r);
        committedAt.set(0);
        long sent = System.nanoTime();
        RegisterNodeResponse answer = writer.withDeadlineAfter(10, TimeUnit.SECONDS)
            .registerNode(Nodes.register(w.replace('.', '-') + "-" + round));
        version = answer.getTopologyVersion();
        if (version == expected && r.await(30_000)) {
          fromRpc.add(r.last() - sent);
          if (committedAt.get() != 0) {
            fromCommit.add(r.last() - committedAt.get());
          }
        } else {
          missed++;
        }
        Thread.sleep(10);
      }
    }
    CpuFigures.report(report, SECTION, w, cpu, cpu.end(), (double) (rounds - missed) * size,
        "stream_event", "during the measured changes (a change at a time); per change and stream "
            + "(" + size + " stream messages and one etcd write per change)");
    report.figure(SECTION, w + ".p50_ms", fromRpc.percentileMs(50), "ms",
        "RegisterNode sent -> last of " + size + " streams, " + fromRpc.count() + " changes");
    report.figure(SECTION, w + ".p99_ms", fromRpc.percentileMs(99), "ms");
    report.figure(SECTION, w + ".commit_p50_ms", fromCommit.percentileMs(50), "ms",
        "etcd commit (a direct watcher on the version key) -> last stream");
    report.figure(SECTION, w + ".commit_p99_ms", fromCommit.percentileMs(99), "ms");
    if (missed > 0 || fleet.errors() > 0) {
      report.figure(SECTION, w + ".rounds_missed", missed, "1",
          "stream errors " + fleet.errors());
    }
  }
}
