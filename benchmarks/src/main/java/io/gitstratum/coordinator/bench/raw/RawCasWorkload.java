package io.gitstratum.coordinator.bench.raw;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.facade.Nodes;
import io.gitstratum.coordinator.bench.measure.ClosedLoop;
import io.gitstratum.coordinator.bench.measure.CpuShares;
import io.gitstratum.coordinator.bench.measure.LoopResult;
import io.gitstratum.coordinator.bench.report.CpuFigures;
import io.gitstratum.coordinator.bench.report.Report;
import java.time.Duration;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The naive way to register through etcd directly: every caller does the register-shaped
 * transaction itself (compare the version key's mod revision; put version + 1, the node record
 * and the change event) and, on a lost compare, retries at once with the current version that
 * the transaction's else branch returned. One round trip per attempt, no backoff.
 */
public final class RawCasWorkload implements Workload {
  static final String SECTION = "Raw etcd: register-shaped CAS transaction";

  /** A lost compare is retried at most this often before the call counts as failed. */
  private static final int MAX_ATTEMPTS = 10_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return s.closedLoops(2).plusSeconds(15); // c1, c32; cleanup
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    for (int callers : new int[] {1, 32}) {
      measure(rig, report, callers);
    }
    report.note(SECTION, "Transaction: If(mod_revision(version) == seen) Then(put version+1, "
        + "put node record, put change event) Else(get version); a lost compare retries at once "
        + "with the returned version. Values are the same protobuf records the facade writes.");
  }

  private void measure(Rig rig, Report report, int callers) throws Exception {
    KV kv = rig.jetcd().getKVClient();
    String prefix = "/bench/raw-cas/c" + callers + "/";
    ByteSequence versionKey = bytes(prefix + "version");
    kv.put(versionKey, bytes("0")).get(10, TimeUnit.SECONDS);
    LongAdder attempts = new LongAdder();
    // Each caller remembers the version it last saw: a lone caller then needs exactly one round
    // trip per registration (the strongest single-caller baseline), and a stale guess costs one
    // lost compare, like a read before the transaction would.
    Seen[] lastSeen = new Seen[callers];
    CpuShares cpu = CpuShares.begin(Map.of("etcd", rig.etcdPid(),
        "driver", ProcessHandle.current().pid()));
    var s = rig.settings();
    LoopResult r = ClosedLoop.run("raw-cas", callers, s.warmup(), s.window(), 5_000_000,
        (caller, seq) -> {
          String id = "raw-c" + callers + "-" + caller + "-" + seq;
          Seen seen = lastSeen[caller];
          if (seen == null) {
            seen = Seen.of(kv.get(versionKey, GetOption.DEFAULT).get(10, TimeUnit.SECONDS)
                .getKvs().get(0));
          }
          for (int attempt = 1; ; attempt++) {
            attempts.increment();
            long next = seen.version() + 1;
            TxnResponse t = kv.txn()
                .If(new Cmp(versionKey, Cmp.Op.EQUAL, CmpTarget.modRevision(seen.modRevision())))
                .Then(Op.put(versionKey, bytes(Long.toString(next)), PutOption.DEFAULT),
                    Op.put(bytes(prefix + "nodes/" + id), ByteSequence.from(
                        Nodes.node(id).toByteArray()), PutOption.DEFAULT),
                    Op.put(bytes(prefix + "events/" + next), ByteSequence.from(
                        event(id, next).toByteArray()), PutOption.DEFAULT))
                .Else(Op.get(versionKey, GetOption.DEFAULT))
                .commit().get(10, TimeUnit.SECONDS);
            if (t.isSucceeded()) {
              lastSeen[caller] = new Seen(next, t.getHeader().getRevision());
              return;
            }
            if (attempt >= MAX_ATTEMPTS) {
              throw new IllegalStateException("no commit after " + MAX_ATTEMPTS + " attempts");
            }
            seen = Seen.of(t.getGetResponses().get(0).getKvs().get(0));
          }
        });
    Map<String, Double> cores = cpu.end();
    String c = "raw.cas.c" + callers;
    report.figure(SECTION, c + ".commits_per_s", r.perSecond(), "1/s",
        callers + " callers, distinct node ids, one shared version key");
    report.figure(SECTION, c + ".p50_ms", r.latencies().percentileMs(50), "ms");
    report.figure(SECTION, c + ".p99_ms", r.latencies().percentileMs(99), "ms");
    report.figure(SECTION, c + ".attempts_per_commit",
        (double) attempts.sum() / Math.max(1, r.totalOps()), "1",
        "transactions sent per committed registration (1 = no contention)");
    if (r.errors() > 0) {
      report.figure(SECTION, c + ".errors", r.errors(), "1", r.firstError());
    }
    CpuFigures.report(report, SECTION, c, cpu, cores, r.totalOps(), "commit",
        "warm-up and window");
  }

  /** The version key as a caller last saw it. */
  private record Seen(long version, long modRevision) {
    static Seen of(KeyValue kv) {
      return new Seen(Long.parseLong(kv.getValue().toString(StandardCharsets.UTF_8)),
          kv.getModRevision());
    }
  }

  private static TopologyUpdate event(String id, long version) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeAdded(Nodes.node(id).toBuilder().setState(NodeState.NODE_STATE_JOINING)).build();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
