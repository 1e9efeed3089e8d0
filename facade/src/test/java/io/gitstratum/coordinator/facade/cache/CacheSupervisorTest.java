package io.gitstratum.coordinator.facade.cache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.etcd.EtcdAccess;
import io.gitstratum.coordinator.facade.etcd.EtcdConnector;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.store.TestStores;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A watch whose etcd connection goes silent (packets dropped, the connection left open) is
 * noticed by an unanswered progress request and replaced, even when nothing moves the version
 * key: liveness keys alone change here, which the version check cannot see.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CacheSupervisorTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final Duration CHECK = Duration.ofMillis(300);

  @Test
  void aSilentWatchIsReplacedWithinACheckAndATimeout() throws Exception {
    Keyspace keys = Keyspace.of(Keyspace.DEFAULT_ROOT, "silent-watch");
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    // Two ways to the one member: whichever the watch takes can be black-holed alone.
    try (FaultProxy a = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        FaultProxy b = FaultProxy.forEndpoint(etcd.endpoints().get(0));
        Client direct = Client.builder().endpoints(etcd.endpoints().get(0)).build();
        Client client = new EtcdConnector(List.of(a.endpoint(), b.endpoint()),
            EtcdAccess.none(), TIMEOUT).client()) {
      EtcdTopologyStore store = new EtcdTopologyStore(client, keys, TIMEOUT, new FacadeMetrics());
      TestStores.bootstrap(store);
      TopologyCache cache = new TopologyCache(keys);
      CacheSupervisor supervisor = new CacheSupervisor(store, cache, scheduler, CHECK, TIMEOUT);
      supervisor.start();
      try {
        assertTrue(cache.awaitSynced(Duration.ofSeconds(10)));
        // By the end of the first round the watch is on b (a is silent); the second round
        // silences b, so at least one round finds its watch silent.
        a.blackHole();
        seesAliveKey(direct, keys, cache, "n1");
        a.pass();
        b.blackHole();
        seesAliveKey(direct, keys, cache, "n2");
        b.pass();
      } finally {
        supervisor.close();
        scheduler.submit(() -> {}).get(5, TimeUnit.SECONDS);
        scheduler.shutdownNow();
      }
    }
  }

  /** An alive key written straight to etcd reaches the cache, the version key unmoved. */
  private static void seesAliveKey(Client direct, Keyspace keys, TopologyCache cache, String id)
      throws Exception {
    long lease = direct.getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
    direct.getKVClient().put(ByteSequence.from(keys.alive(id), StandardCharsets.UTF_8),
        ByteSequence.from("g", StandardCharsets.UTF_8),
        PutOption.builder().withLeaseId(lease).build()).get(5, TimeUnit.SECONDS);
    // A check to notice the silence and a timeout for the progress request; then reads, each
    // of which may also meet the silent way in (one in two) and time out before one gets through.
    Awaitility.await().atMost(Duration.ofSeconds(15))
        .until(() -> cache.aliveLease(id).isPresent());
  }
}
