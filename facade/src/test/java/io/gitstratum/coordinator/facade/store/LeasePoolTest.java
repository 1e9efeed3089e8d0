package io.gitstratum.coordinator.facade.store;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
  void neverHoldsMoreThanItsCapacity() {
    store.awaitLeases(pool.take(10));
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pool.size() == 4);
    store.awaitLeases(pool.take(1));
    Awaitility.await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(3))
        .until(() -> pool.size() == 4);
  }

  @Test
  void aLeaseOlderThanTheMaxAgeIsNotHandedOut() {
    store.awaitLeases(pool.take(2));
    Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> pool.size() == 2);
    now.addAndGet(Duration.ofMillis(600).toNanos());
    store.awaitLeases(pool.take(1));
    // Both pooled leases were too old: dropped, and only the one taken is replaced (2 if kept).
    Awaitility.await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(3))
        .until(() -> pool.size() == 1);
  }
}
