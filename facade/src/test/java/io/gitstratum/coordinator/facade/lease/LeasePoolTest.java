package io.gitstratum.coordinator.facade.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;

@Tag("etcd")
class LeasePoolTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private final Client client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
      .build();
  private final EtcdTopologyStore store = new EtcdTopologyStore(client, Keyspace.defaults(),
      Duration.ofSeconds(3), new FacadeMetrics());
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final LeasePool pool = new LeasePool(store, 5, 4, Duration.ofMillis(500), now::get);

  @AfterEach
  void close() {
    client.close();
  }

  private long ttl(long lease) throws Exception {
    return client.getLeaseClient().timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
        .get(3, TimeUnit.SECONDS).getTTL();
  }

  @Test
  void anEmptyPoolGrantsNowAndRefillsWhatWasTaken() throws Exception {
    List<CompletableFuture<Long>> first = pool.take(3);
    List<Long> granted = store.awaitLeases(first);
    assertEquals(3, granted.stream().distinct().count());
    for (long lease : granted) {
      assertTrue(ttl(lease) > 0, "granted lease exists in etcd");
    }
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pool.size() == 3);

    List<CompletableFuture<Long>> second = pool.take(2);
    assertTrue(second.stream().allMatch(CompletableFuture::isDone), "served from the pool");
    for (long lease : store.awaitLeases(second)) {
      assertFalse(granted.contains(lease));
      assertTrue(ttl(lease) > 0);
    }
  }

  @Test
  void refillsInABurstBelowHalfAndNeverBeyondCapacity() {
    store.awaitLeases(pool.take(10));
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pool.size() == 4);
    store.awaitLeases(pool.take(2)); // half full: no refill yet
    assertEquals(2, pool.size());
    store.awaitLeases(pool.take(1)); // below half: refill up to capacity, not 13
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pool.size() == 4);
    Awaitility.await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(3))
        .until(() -> pool.size() == 4);
  }

  @Test
  void aLeaseOlderThanTheMaxAgeIsNotHandedOut() {
    store.awaitLeases(pool.take(2));
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pool.size() == 2);
    List<Long> aged = pool.heldIds();
    now.addAndGet(Duration.ofMillis(600).toNanos());
    long taken = store.awaitLeases(pool.take(1)).get(0);
    assertFalse(aged.contains(taken), "a lease past the max age was handed out");
    assertTrue(pool.heldIds().stream().noneMatch(aged::contains), "aged leases are dropped");
  }
}
