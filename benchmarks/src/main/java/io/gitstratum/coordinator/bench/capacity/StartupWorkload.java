package io.gitstratum.coordinator.bench.capacity;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.measure.GcLog;
import io.gitstratum.coordinator.bench.measure.HeapProbe;
import io.gitstratum.coordinator.bench.measure.ProcessCpu;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.FaultProxy;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's view of scale on a prefix of 100,000 registered nodes (four labels each), next
 * to a raw jetcd paged read of the same keys at one revision plus decoding them, in the same
 * run: a replica's time from process start to ready and its heap once loaded; then, with a
 * fault proxy between a replica and etcd, the time to resync after etcd compacted past its
 * watch; then full_syncs of the whole topology to many streams at once (time to the last
 * stream, heap and RSS growth).
 */
public final class StartupWorkload implements Workload {
  static final String SECTION = "Facade: 100,000 nodes (start-up, resync, full_sync fan-out)";
  private static final int NODES = 100_000;
  private static final int SEED_BATCH = 120;
  private static final int RAW_PAGE = 5_000;
  /** Streams of the larger fan-out (full runs only): 1,000 x 16.6 MB is already 16.6 GB. */
  private static final int FAN_OUT_LARGE = 2_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    // seeding 100,000 nodes, the raw paged read, three replica starts, the fan-outs
    return Duration.ofSeconds(s.mode().equals("quick") ? 120 : 180);
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    Keyspace keys = Keyspace.of(Keyspace.DEFAULT_ROOT, FacadeProfile.LARGE.cluster());
    // What a start costs whatever the prefix holds: the JVM, wiring, connecting, the election.
    double emptySeconds = toServingSeconds(rig.facade(FacadeProfile.LARGE));
    rig.stopFacade();
    long bytes = seed(rig.jetcd().getKVClient(), keys);

    long start = System.nanoTime();
    int read = rawPagedRead(rig.jetcd().getKVClient(), keys);
    double rawSeconds = (System.nanoTime() - start) / 1e9;
    if (read != NODES) {
      throw new IllegalStateException("raw read found " + read + " nodes, not " + NODES);
    }

    FacadeProcess facade = rig.facade(FacadeProfile.LARGE); // returns once SERVING
    double readySeconds = toServingSeconds(facade);
    long heap = HeapProbe.liveHeapBytes(facade.pid());
    Optional<Long> startRead = lastReadMillis(facade.logFile()); // logged just after SERVING
    rig.stopFacade();

    String n = "facade.startup.n" + NODES;
    report.figure(SECTION, "raw.paged_read.n" + NODES + ".s", rawSeconds, "s",
        "jetcd range reads of " + RAW_PAGE + " keys at one revision, each value decoded");
    report.figure(SECTION, n + ".ready_s", readySeconds, "s",
        "from the exec of the replica's JVM to gRPC health SERVING (polled every 10 ms)");
    report.figure(SECTION, n + ".ratio_to_raw", readySeconds / rawSeconds, "x",
        "target <= 2 and ready <= 20 s");
    report.figure(SECTION, "facade.startup.empty.ready_s", emptySeconds, "s",
        "the same on an empty prefix: the fixed cost of a start (JVM, wiring, etcd, election)");
    startRead.ifPresent(ms -> {
      report.figure(SECTION, n + ".read_s", ms / 1e3, "s",
          "the replica's paged read at start, as it logged it (a cold JVM)");
      report.figure(SECTION, n + ".read_ratio_to_raw", ms / 1e3 / rawSeconds, "x",
          "that read against the raw paged read (a warm JVM)");
    });
    report.figure(SECTION, n + ".heap_per_node_bytes", (double) heap / NODES, "B",
        "live heap after full GCs, divided by the nodes; target <= 1,536");
    report.figure(SECTION, n + ".node_record_mb", bytes / 1e6, "MB",
        "node records as etcd holds them (protobuf JSON)");

    try (FaultProxy proxy = FaultProxy.forEndpoint(rig.etcdEndpoint())) {
      FacadeProcess proxied = rig.facadeVia(FacadeProfile.LARGE, proxy.endpoint());
      resyncAfterCompaction(rig, report, proxy, proxied, keys, rawSeconds);
      for (int streams : rig.settings().mode().equals("quick") ? List.of(1_000)
          : List.of(1_000, FAN_OUT_LARGE)) {
        fanOut(rig, report, proxied, streams);
      }
    } finally {
      rig.stopFacade();
    }
  }

  /**
   * Cuts the replica off etcd, changes a node and the version behind its back, compacts etcd
   * past its watch, and lets it reconnect: it can only catch up by reading the whole prefix.
   */
  private static void resyncAfterCompaction(Rig rig, Report report, FaultProxy proxy,
      FacadeProcess facade, Keyspace keys, double rawSeconds) throws Exception {
    CoordinatorServiceBlockingStub stub = CoordinatorServiceGrpc.newBlockingStub(
        facade.newChannel());
    proxy.blackHole();
    KV kv = rig.jetcd().getKVClient();
    long revision = kv.txn().Then(
            Op.put(bytes(keys.node(nodeId(0))), ByteSequence.from(RecordCodec.encode(
                node(0).toBuilder().setPort(7001).build())), PutOption.DEFAULT),
            Op.put(bytes(keys.version()), ByteSequence.from(RecordCodec.encodeVersion(NODES + 1)),
                PutOption.DEFAULT))
        .commit().get(30, TimeUnit.SECONDS).getHeader().getRevision();
    kv.compact(revision).get(60, TimeUnit.SECONDS);
    long start = System.nanoTime();
    proxy.reset();
    long deadline = start + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      try {
        if (stub.withDeadlineAfter(1, TimeUnit.SECONDS)
            .healthCheck(HealthCheckRequest.getDefaultInstance())
            .getTopologyVersion() == NODES + 1) {
          break;
        }
      } catch (StatusRuntimeException e) {
        // not ready while it resyncs
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the replica did not resync within 120 s");
      }
      Thread.sleep(20);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String r = "facade.resync.n" + NODES;
    report.figure(SECTION, r + ".s", seconds, "s", "from the proxy letting the replica reach etcd "
        + "again (after etcd compacted past its watch) to HealthCheck showing the new version");
    lastReadMillis(facade.logFile()).ifPresent(ms -> {
      report.figure(SECTION, r + ".read_s", ms / 1e3, "s",
          "the paged read of the resync itself, as the replica logged it");
      report.figure(SECTION, r + ".read_ratio_to_raw", ms / 1e3 / rawSeconds, "x",
          "the resync's read against the raw paged read");
    });
  }

  /** {@code streams} streams from version 0 at once: every one gets the whole topology. */
  private static void fanOut(Rig rig, Report report, FacadeProcess facade, int streams)
      throws Exception {
    long liveBefore = HeapProbe.liveHeapBytes(facade.pid());
    long rssBefore = ProcessCpu.rssBytes(facade.pid());
    Path gcLog = rig.facadeGcLog(facade.profile());
    int gcLinesBefore = GcLog.lines(gcLog);
    AtomicLong rssPeak = new AtomicLong(rssBefore);
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          rssPeak.accumulateAndGet(ProcessCpu.rssBytes(facade.pid()), Math::max);
          Thread.sleep(100);
        } catch (IOException | InterruptedException e) {
          return;
        }
      }
    }, "rss-sampler");
    sampler.setDaemon(true);
    sampler.start();
    FullSyncFanOut.Result result;
    try {
      // With every full_sync delivered and the streams still open: their steady state.
      result = FullSyncFanOut.run(facade.grpcPort(), streams, Duration.ofSeconds(600), () -> {
        long live = HeapProbe.liveHeapBytes(facade.pid());
        // What holds the heap with the streams open, for whoever wonders (a few KB of text).
        Files.writeString(rig.outDir().resolve("logs/fanout-s" + streams + "-histogram.txt"),
            HeapProbe.classHistogram(facade.pid()).lines().limit(40)
                .collect(java.util.stream.Collectors.joining("\n")));
        return live;
      });
    } finally {
      sampler.interrupt();
    }
    long heapAfterGcPeak = GcLog.maxHeapAfterSince(gcLog, gcLinesBefore);
    long received = streams - result.failed();
    double topology = received > 0 ? (double) result.bytes() / received : Double.NaN;
    String f = "facade.fanout.n" + NODES + ".s" + streams;
    report.figure(SECTION, f + ".to_last_s", result.toLast().toMillis() / 1e3, "s",
        "from opening " + streams + " streams (since_version 0) at once to the last one holding "
            + "its whole full_sync");
    report.figure(SECTION, f + ".failed", result.failed(), "1", result.firstError());
    report.figure(SECTION, f + ".full_sync_mb", topology / 1e6, "MB", "one full_sync");
    report.figure(SECTION, f + ".gb_per_s", result.bytes() / 1e9
        / Math.max(1e-3, result.toLast().toMillis() / 1e3), "GB/s", "full_sync bytes delivered");
    // What stays after the fan-out (the open streams' state, and what encoding the topology
    // leaves in its messages) is not what the fan-out needs in transit: the net figure counts
    // the shared encoding and whatever was in flight at the peak; the gross one everything.
    long liveOpen = result.whileOpen();
    long streamState = Math.max(0, liveOpen - liveBefore - (long) topology);
    double growth = heapAfterGcPeak < 0 ? 0
        : Math.max(0, heapAfterGcPeak - liveBefore - streamState);
    report.figure(SECTION, f + ".heap_growth_x", growth / topology, "x",
        "largest heap after a collection during the fan-out, minus the live heap before and the "
            + "open streams' own state, in full_syncs (the shared encoding counts 1; an upper "
            + "bound, since young collections leave old garbage); target <= 3");
    report.figure(SECTION, f + ".heap_growth_gross_x", heapAfterGcPeak < 0 ? 0
        : Math.max(0, heapAfterGcPeak - liveBefore) / topology, "x",
        "the same without subtracting the open streams' state");
    report.figure(SECTION, f + ".stream_state_bytes", (double) streamState / streams, "B",
        "live heap with the streams open after the fan-out, minus before, minus one full_sync, "
            + "per stream; most of it is not per stream but what encoding the topology leaves "
            + "behind (protobuf keeps a second form of each label map): logs/fanout-s" + streams
            + "-histogram.txt");
    report.figure(SECTION, f + ".rss_growth_x", (rssPeak.get() - rssBefore) / topology, "x",
        "largest RSS during the fan-out minus before, in full_syncs (gRPC's outbound buffers "
            + "are off-heap; RSS also grows as G1 expands the heap it has committed)");
  }

  /** From the exec of the replica's JVM to its first SERVING answer (see FacadeProcess). */
  private static double toServingSeconds(FacadeProcess facade) {
    return facade.toServing().toMillis() / 1e3;
  }

  /** The read time of the replica's last "topology cache synced" log line. */
  private static Optional<Long> lastReadMillis(Path log) throws IOException {
    Pattern read = Pattern.compile("topology cache synced .* read in (\\d+) ms");
    Optional<Long> last = Optional.empty();
    for (String line : Files.readAllLines(log)) {
      Matcher m = read.matcher(line);
      if (m.find()) {
        last = Optional.of(Long.parseLong(m.group(1)));
      }
    }
    return last;
  }

  private static String nodeId(int i) {
    return String.format("object-%06d", i);
  }

  private static NodeInfo node(int i) {
    return NodeInfo.newBuilder().setId(nodeId(i))
        .setAddress("10." + (i / 62_500) + "." + (i / 250 % 250) + "." + (i % 250))
        .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT)
        .setGenerationId("generation-" + i).setState(NodeState.NODE_STATE_DOWN)
        .putLabels("zone", "zone-" + (i % 3)).putLabels("rack", "rack-" + (i % 400))
        .putLabels("disk", "nvme-3.84t").putLabels("build", "2026.11.30-" + (i % 7))
        .build();
  }

  /** DOWN nodes straight into etcd (the detector leaves DOWN nodes alone), and the version. */
  private static long seed(KV kv, Keyspace keys) throws Exception {
    long bytes = 0;
    for (int batch = 0; batch < NODES; batch += SEED_BATCH) {
      List<Op> puts = new ArrayList<>(SEED_BATCH);
      for (int i = batch; i < Math.min(NODES, batch + SEED_BATCH); i++) {
        NodeInfo node = node(i);
        byte[] value = RecordCodec.encode(node);
        bytes += value.length;
        puts.add(Op.put(bytes(keys.node(node.getId())), ByteSequence.from(value),
            PutOption.DEFAULT));
      }
      kv.txn().Then(puts.toArray(Op[]::new)).commit().get(30, TimeUnit.SECONDS);
    }
    kv.put(bytes(keys.version()), ByteSequence.from(RecordCodec.encodeVersion(NODES)))
        .get(30, TimeUnit.SECONDS);
    return bytes;
  }

  /** What a client of etcd alone would do: pages at one revision, every record decoded. */
  private static int rawPagedRead(KV kv, Keyspace keys) throws Exception {
    ByteSequence from = bytes(keys.nodesPrefix());
    ByteSequence end = OptionsUtil.prefixEndOf(from);
    long revision = 0;
    int read = 0;
    while (true) {
      GetOption.Builder option = GetOption.builder().withRange(end).withLimit(RAW_PAGE);
      if (revision > 0) {
        option.withRevision(revision);
      }
      GetResponse page = kv.get(from, option.build()).get(30, TimeUnit.SECONDS);
      revision = page.getHeader().getRevision();
      for (KeyValue kvp : page.getKvs()) {
        RecordCodec.decodeNode(kvp.getKey().toString(StandardCharsets.UTF_8),
            kvp.getValue().getBytes());
        read++;
      }
      if (!page.isMore()) {
        return read;
      }
      byte[] last = page.getKvs().get(page.getKvs().size() - 1).getKey().getBytes();
      from = ByteSequence.from(Arrays.copyOf(last, last.length + 1));
    }
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }
}
