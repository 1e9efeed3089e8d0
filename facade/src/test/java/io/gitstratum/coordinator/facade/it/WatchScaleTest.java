package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 2,000 watch streams on one replica: every stream receives every change, and etcd still sees
 * one watcher. Prints commit-to-last-watcher latency and heap figures (no timing assertions).
 */
@Tag("etcd")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WatchScaleTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int WATCHERS = 2000;
  private static final int CHANGES = 50;

  /** Keeps only what the test needs per stream: the last version and when it arrived. */
  static final class LastVersion implements StreamObserver<TopologyUpdate> {
    final AtomicLong version = new AtomicLong(-1);
    volatile long arrivedNanos;
    volatile CountDownLatch target;
    volatile long targetVersion = Long.MAX_VALUE;

    @Override
    public void onNext(TopologyUpdate update) {
      if (update.hasKeepalive() || update.hasLagged()) {
        return;
      }
      arrivedNanos = System.nanoTime();
      version.set(update.getVersion());
      if (update.getVersion() == targetVersion) {
        target.countDown();
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Test
  void twoThousandWatchersOnOneReplicaShareOneEtcdWatcher() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer replica = harness.start("scale");
      CoordinatorServiceBlockingStub writer = harness.stub(replica);
      long heapBefore = usedHeap();
      long etcdWatchersBefore = etcdWatchers();

      List<ManagedChannel> channels = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        channels.add(harness.channel(replica));
      }
      List<LastVersion> watchers = new ArrayList<>();
      long setupStart = System.nanoTime();
      for (int i = 0; i < WATCHERS; i++) {
        LastVersion w = new LastVersion();
        watchers.add(w);
        CoordinatorServiceGrpc.newStub(channels.get(i % channels.size()))
            .watchTopology(WatchTopologyRequest.getDefaultInstance(), w);
      }
      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> watchers.stream().allMatch(w -> w.version.get() == 0));
      long setupMs = (System.nanoTime() - setupStart) / 1_000_000;
      assertEquals(WATCHERS, writer.healthCheck(HealthCheckRequest.getDefaultInstance())
          .getWatchSubscribers());
      long etcdWatchersDuring = etcdWatchers();
      assertEquals(etcdWatchersBefore, etcdWatchersDuring,
          "2,000 streams add no etcd watcher");
      assertEquals(1, etcdWatchersDuring, "the replica holds exactly one etcd watcher");

      long[] latencies = new long[CHANGES];
      for (int c = 1; c <= CHANGES; c++) {
        CountDownLatch all = new CountDownLatch(WATCHERS);
        for (LastVersion w : watchers) {
          w.target = all;
          w.targetVersion = c;
        }
        long sent = System.nanoTime();
        writer.registerNode(WatchTopologyTest.register("n" + c));
        assertTrue(all.await(60, TimeUnit.SECONDS), "every watcher received version " + c);
        long last = watchers.stream().mapToLong(w -> w.arrivedNanos).max().orElseThrow();
        latencies[c - 1] = last - sent;
      }
      long heapAfter = usedHeap();
      Arrays.sort(latencies);
      System.out.printf("watch-scale watchers %d%n", WATCHERS);
      System.out.printf("watch-scale setup_ms %d%n", setupMs);
      System.out.printf("watch-scale rpc_to_last_watcher_p50_ms %.2f%n", latencies[CHANGES / 2] / 1e6);
      System.out.printf("watch-scale rpc_to_last_watcher_p99_ms %.2f%n",
          latencies[(int) Math.ceil(CHANGES * 0.99) - 1] / 1e6);
      System.out.printf("watch-scale etcd_watchers %d%n", etcdWatchersDuring);
      System.out.printf("watch-scale test_jvm_heap_before_mb %.1f%n", heapBefore / 1048576.0);
      System.out.printf("watch-scale test_jvm_heap_after_mb %.1f%n", heapAfter / 1048576.0);
    }
  }

  private static long usedHeap() {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** etcd's own count of open watchers (all clients), from its /metrics. */
  private static long etcdWatchers() throws IOException, InterruptedException {
    String body = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(etcd.metricsUrl())).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("(?m)^etcd_debugging_mvcc_watcher_total (\\S+)$").matcher(body);
    assertTrue(m.find(), "etcd exports etcd_debugging_mvcc_watcher_total");
    return (long) Double.parseDouble(m.group(1));
  }
}
