package io.gitstratum.coordinator.bench.raw;

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
import io.gitstratum.coordinator.bench.measure.SilenceProbe;
import io.gitstratum.coordinator.bench.report.Report;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The detection baseline: leases of TTL 2 s, each carrying a key, renewed with keepAliveOnce
 * until each stops in turn; the delay is last renewal answered → the key's DELETE event at a
 * watcher. This is what etcd alone gives; the facade's SUSPECT cannot come sooner.
 */
public final class RawLeaseExpiryWorkload implements Workload {
  static final String SECTION = "Raw etcd: lease expiry (TTL 2 s)";
  static final String PREFIX = "/bench/raw-expiry/";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    return Duration.ofSeconds(4L * s.detectionSamples() + 15); // TTL 2 s each, one after another
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    int n = rig.settings().detectionSamples();
    Lease lease = rig.jetcd().getLeaseClient();
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = lease.grant(2).get(10, TimeUnit.SECONDS).getID();
      rig.jetcd().getKVClient().put(RawCasWorkload.bytes(PREFIX + i), ByteSequence.EMPTY,
          PutOption.builder().withLeaseId(ids[i]).build()).get(10, TimeUnit.SECONDS);
    }
    SilenceProbe probe = new SilenceProbe(n, n);
    ByteSequence prefix = RawCasWorkload.bytes(PREFIX);
    try (Watch.Watcher watcher = rig.jetcd().getWatchClient().watch(prefix,
        WatchOption.builder().isPrefix(true).build(), Watch.listener(response -> {
          for (WatchEvent e : response.getEvents()) {
            if (e.getEventType() == WatchEvent.EventType.DELETE) {
              String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
              probe.seenGone(Integer.parseInt(key.substring(PREFIX.length())));
            }
          }
        }, error -> { }, () -> { }))) {
      Latencies delays = SilenceProbe.of(probe.run(
          i -> lease.keepAliveOnce(ids[i]).get(5, TimeUnit.SECONDS), Duration.ofMillis(500),
          Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofSeconds(10)), 0, n);
      report.delays(SECTION, "raw.lease_expiry", delays, n,
          "last keepAliveOnce answered -> DELETE event of the lease's key at a watcher");
    }
  }
}
