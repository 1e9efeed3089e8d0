package io.gitstratum.coordinator.bench.capacity;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.measure.HeapProbe;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The operator's view of scale: a replica started on a prefix of 100,000 registered nodes (four
 * labels each), from process start to ready, next to a raw jetcd paged read of the same keys at
 * one revision plus decoding them, in the same run; and the replica's heap once loaded.
 */
public final class StartupWorkload implements Workload {
  static final String SECTION = "Facade: start-up on 100,000 nodes";
  private static final int NODES = 100_000;
  private static final int SEED_BATCH = 120;
  private static final int RAW_PAGE = 5_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    rig.restartEtcdEmpty(); // no other workload's keys and leases in this etcd
    Keyspace keys = Keyspace.of(Keyspace.DEFAULT_ROOT, FacadeProfile.LARGE.cluster());
    long bytes = seed(rig.jetcd().getKVClient(), keys);

    long start = System.nanoTime();
    int read = rawPagedRead(rig.jetcd().getKVClient(), keys);
    double rawSeconds = (System.nanoTime() - start) / 1e9;
    if (read != NODES) {
      throw new IllegalStateException("raw read found " + read + " nodes, not " + NODES);
    }

    FacadeProcess facade = rig.facade(FacadeProfile.LARGE); // returns once SERVING
    // From the process's own start: the rig first waits for etcd's watcher count to settle.
    Instant started = ProcessHandle.of(facade.pid()).flatMap(p -> p.info().startInstant())
        .orElseThrow(() -> new IllegalStateException("no start time for the replica process"));
    double readySeconds = Duration.between(started, Instant.now()).toMillis() / 1e3;
    long heap = HeapProbe.liveHeapBytes(facade.pid());
    rig.stopFacade();

    String n = "facade.startup.n" + NODES;
    report.figure(SECTION, "raw.paged_read.n" + NODES + ".s", rawSeconds, "s",
        "jetcd range reads of " + RAW_PAGE + " keys at one revision, each value decoded");
    report.figure(SECTION, n + ".ready_s", readySeconds, "s",
        "from process start (JVM included) to gRPC health SERVING");
    report.figure(SECTION, n + ".ratio_to_raw", readySeconds / rawSeconds, "x",
        "target <= 2 and ready <= 20 s");
    report.figure(SECTION, n + ".heap_per_node_bytes", (double) heap / NODES, "B",
        "live heap after full GCs, divided by the nodes; target <= 1,536");
    report.figure(SECTION, n + ".node_record_mb", bytes / 1e6, "MB",
        "node records as etcd holds them (protobuf JSON)");
  }

  /** DOWN nodes straight into etcd (the detector leaves DOWN nodes alone), and the version. */
  private static long seed(KV kv, Keyspace keys) throws Exception {
    long bytes = 0;
    for (int batch = 0; batch < NODES; batch += SEED_BATCH) {
      List<Op> puts = new ArrayList<>(SEED_BATCH);
      for (int i = batch; i < Math.min(NODES, batch + SEED_BATCH); i++) {
        NodeInfo node = NodeInfo.newBuilder().setId(String.format("object-%06d", i))
            .setAddress("10." + (i / 62_500) + "." + (i / 250 % 250) + "." + (i % 250))
            .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT)
            .setGenerationId("generation-" + i).setState(NodeState.NODE_STATE_DOWN)
            .putLabels("zone", "zone-" + (i % 3)).putLabels("rack", "rack-" + (i % 400))
            .putLabels("disk", "nvme-3.84t").putLabels("build", "2026.11.30-" + (i % 7))
            .build();
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
