package io.gitstratum.coordinator.bench.raw;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * The most registrations etcd could commit here if nothing contended: 32 callers each sending
 * one register-shaped transaction per new node, on distinct keys: If(node key absent) Then(put
 * node record, put change event, put history record, put alive key on a lease). The records are
 * the facade's own encodings at the facade's own key shapes; all alive keys share one lease
 * granted beforehand (grants are measured on their own), revoked afterwards with the keys.
 */
public final class RawRegisterTxns {
  private RawRegisterTxns() {}

  /**
   * Runs one warm-up and window of the settings and reports {@code <prefix>.per_s}, its p99 and
   * the CPU of etcd and this driver under {@code section}.
   *
   * @param node the record of the {@code i}-th node (its id is made unique here)
   */
  public static void measure(Rig rig, Report report, String section, String prefix,
      IntFunction<NodeInfo> node) throws Exception {
    Keyspace keys = Keyspace.of("/bench", "raw-register-txn");
    KV kv = rig.jetcd().getKVClient();
    long lease = rig.jetcd().getLeaseClient().grant(900).get(10, TimeUnit.SECONDS).getID();
    AtomicLong versions = new AtomicLong();
    CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
        "driver", ProcessHandle.current().pid()));
    var s = rig.settings();
    LoopResult r = ClosedLoop.run("raw-register-txn", 32, s.warmup(), s.window(), 5_000_000,
        (caller, seq) -> {
          long version = versions.incrementAndGet();
          NodeInfo n = node.apply((int) version).toBuilder().setId("raw-" + version).build();
          ByteSequence nodeKey = bytes(keys.node(n.getId()));
          TxnResponse t = kv.txn()
              .If(new Cmp(nodeKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
              .Then(Op.put(nodeKey, ByteSequence.from(RecordCodec.encode(n)), PutOption.DEFAULT),
                  Op.put(bytes(keys.event(version)), ByteSequence.from(RecordCodec.encode(
                      TopologyUpdate.newBuilder().setVersion(version)
                          .setPreviousVersion(version - 1)
                          .setNodeAdded(n.toBuilder().setState(NodeState.NODE_STATE_JOINING))
                          .build())), PutOption.DEFAULT),
                  Op.put(bytes(keys.history(version)), ByteSequence.from(RecordCodec.encode(
                      ChangeRecord.newBuilder().setReason(ChangeReason.CHANGE_REASON_REGISTERED)
                          .setActor("node:" + n.getId()).setAt(System.currentTimeMillis())
                          .build())), PutOption.DEFAULT),
                  Op.put(bytes(keys.alive(n.getId())), bytes(n.getGenerationId()),
                      PutOption.newBuilder().withLeaseId(lease).build()))
              .commit().get(10, TimeUnit.SECONDS);
          if (!t.isSucceeded()) {
            throw new IllegalStateException("node key " + n.getId() + " already there");
          }
        });
    Map<String, Double> cores = cpu.end();
    rig.jetcd().getLeaseClient().revoke(lease).get(30, TimeUnit.SECONDS);
    kv.delete(bytes(keys.prefix()), DeleteOption.newBuilder().isPrefix(true).build())
        .get(60, TimeUnit.SECONDS);
    report.figure(section, prefix + ".per_s", r.perSecond(), "1/s",
        "32 callers, distinct keys, one transaction of 4 puts per node");
    report.figure(section, prefix + ".p99_ms", r.latencies().percentileMs(99), "ms");
    if (r.errors() > 0) {
      report.figure(section, prefix + ".errors", r.errors(), "1", r.firstError());
    }
    CpuFigures.report(report, section, prefix, cpu, cores, r.totalOps(), "txn",
        "warm-up and window");
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
