package io.gitstratum.coordinator.bench.capacity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The raw capacity baseline renews every lease once per interval over one stream, times each
 * renewal, and counts a renewal of a lease etcd no longer has as an error.
 */
@Tag("etcd")
class OpenLoopKeepAlivesTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration INTERVAL = Duration.ofMillis(500);

  @Test
  void everyLeaseIsRenewedOncePerIntervalOnOneStream() throws Exception {
    try (OpenLoopKeepAlives load = new OpenLoopKeepAlives(etcd.endpoints().get(0), 200,
        INTERVAL)) {
      assertEquals(0, load.grant(0, 200, Duration.ofSeconds(5)));
      load.leases(200);
      Thread.sleep(INTERVAL.toMillis()); // each lease's first renewal, unrecorded
      OpenLoopHeartbeats.Recording r = load.record(2_000);
      long start = System.nanoTime();
      Thread.sleep(2 * INTERVAL.toMillis());
      load.stopRecording();
      double intervals = (System.nanoTime() - start) / (double) INTERVAL.toNanos();
      // Each of the 200 leases once per interval, give or take the window's edges.
      assertEquals(200 * intervals, r.sent(), 40, "sent " + r.sent() + " in " + intervals
          + " intervals");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (r.latencies().count() + r.errors() < r.sent() && System.nanoTime() < deadline) {
        Thread.sleep(20); // answers to the window's last renewals
      }
      assertEquals(r.sent(), r.latencies().count() + r.errors(), "answered; p50 "
          + r.latencies().percentileMs(50) + " ms, max " + r.latencies().maxMs() + " ms");
      assertEquals(0, r.errors(), r.firstError());
    }
  }

  @Test
  void aRenewalOfALeaseEtcdNoLongerHasIsAnError() throws Exception {
    try (OpenLoopKeepAlives load = new OpenLoopKeepAlives(etcd.endpoints().get(0), 1, INTERVAL);
        Client jetcd = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
      assertEquals(0, load.grant(0, 1, Duration.ofSeconds(5)));
      jetcd.getLeaseClient().revoke(load.leaseId(0)).get(5, TimeUnit.SECONDS);
      OpenLoopHeartbeats.Recording r = load.record(100);
      load.leases(1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (r.errors() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(r.errors() >= 2, "errors " + r.errors());
      assertEquals(0, r.latencies().count());
      assertTrue(r.firstError().contains("expired"), r.firstError());
    }
  }
}
