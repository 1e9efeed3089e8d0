package io.gitstratum.coordinator.bench.facade;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.measure.Latencies;
import io.gitstratum.coordinator.bench.measure.Parallel;
import io.gitstratum.coordinator.bench.measure.SilenceProbe;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.NodeState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Failure detection end to end, with suspect timeout 2 s: nodes heartbeat every 500 ms, stop one
 * after another, and a WatchTopology stream on the replica timestamps each node's SUSPECT. Each
 * node is paired with a raw etcd lease (TTL 2 s, renewed with keepAliveOnce) that stops at the
 * same instant, so both see the same expiry checks of etcd and the difference of a pair is what
 * the facade adds to etcd's own lease expiry.
 */
public final class DetectionWorkload implements Workload {
  public static final String SECTION = "Facade: failure detection (suspect timeout 2 s)";
  private static final String NODE = "det-";
  private static final String LEASE_KEY = "/bench/paired-expiry/";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return Duration.ofSeconds(5L * s.detectionSamples() + 25); // paired with raw leases
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    int n = rig.settings().detectionSamples();
    FacadeProcess facade = rig.facade(FacadeProfile.DETECT);
    CoordinatorServiceBlockingStub stub = CoordinatorServiceGrpc.newBlockingStub(
        facade.newChannel());
    Parallel.Outcome setup = Parallel.forEach(0, n, 4, Duration.ofSeconds(30), i -> {
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).registerNode(Nodes.register(NODE + i));
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).heartbeat(Nodes.beat(NODE + i));
    });
    if (setup.failures() > 0) {
      throw new IllegalStateException("setup failed: " + setup);
    }
    Lease lease = rig.jetcd().getLeaseClient();
    long[] leases = new long[n];
    for (int i = 0; i < n; i++) {
      leases[i] = lease.grant(2).get(10, TimeUnit.SECONDS).getID();
      rig.jetcd().getKVClient().put(bytes(LEASE_KEY + i), ByteSequence.EMPTY,
          PutOption.builder().withLeaseId(leases[i]).build()).get(10, TimeUnit.SECONDS);
    }
    // Subjects 0..n-1 are facade nodes, n..2n-1 their paired raw leases (same slot, same stop).
    SilenceProbe probe = new SilenceProbe(2 * n, n);
    long[] delays;
    try (StateWatch watch = StateWatch.open(facade.newChannel(), node -> {
          if (node.getState() == NodeState.NODE_STATE_SUSPECT && node.getId().startsWith(NODE)) {
            probe.seenGone(Integer.parseInt(node.getId().substring(NODE.length())));
          }
        });
        Watch.Watcher raw = rig.jetcd().getWatchClient().watch(bytes(LEASE_KEY),
            WatchOption.builder().isPrefix(true).build(), Watch.listener(response -> {
              for (WatchEvent e : response.getEvents()) {
                if (e.getEventType() == WatchEvent.EventType.DELETE) {
                  String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                  probe.seenGone(n + Integer.parseInt(key.substring(LEASE_KEY.length())));
                }
              }
            }, error -> { }, () -> { }))) {
      delays = probe.run(i -> {
        if (i < n) {
          stub.withDeadlineAfter(5, TimeUnit.SECONDS).heartbeat(Nodes.beat(NODE + i));
        } else {
          lease.keepAliveOnce(leases[i - n]).get(5, TimeUnit.SECONDS);
        }
      }, Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(300),
          Duration.ofSeconds(10));
    }
    report.delays(SECTION, "facade.detect.suspect_seen", SilenceProbe.of(delays, 0, n), n,
        "last Heartbeat answered -> SUSPECT on a WatchTopology stream of the replica");
    report.delays(SECTION, "facade.detect.paired_raw_expiry", SilenceProbe.of(delays, n, 2 * n),
        n, "the paired raw leases: last keepAliveOnce answered -> DELETE at a watcher");
    Latencies excess = new Latencies(n);
    long worst = Long.MIN_VALUE;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      if (delays[i] >= 0 && delays[n + i] >= 0) {
        long d = delays[i] - delays[n + i];
        excess.add(Math.max(0, d));
        sum += d;
        worst = Math.max(worst, d);
      }
    }
    report.figure(SECTION, "facade.detect.excess_over_raw_mean_ms",
        excess.count() == 0 ? Double.NaN : sum / excess.count() / 1e6, "ms",
        "mean over pairs of (SUSPECT seen - paired raw DELETE seen), " + excess.count() + " pairs");
    report.figure(SECTION, "facade.detect.excess_over_raw_max_ms",
        excess.count() == 0 ? Double.NaN : worst / 1e6, "ms");
    report.note(SECTION, "Replica with heartbeat 1 s, suspect 2 s, down 4 s. Node i and raw "
        + "lease i renew every 500 ms and both stop 1 s + i x 300 ms after the start; each delay "
        + "runs from the last renewal answered to the SUSPECT update (node) or the DELETE event of "
        + "the lease's key (raw lease), so a pair sees the same etcd expiry checks.");
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
