package io.gitstratum.coordinator.facade.lease;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.gitstratum.coordinator.facade.etcd.EtcdConnector;
import io.gitstratum.coordinator.facade.etcd.EtcdAccess;

/**
 * A replica's session lease renews on a keep-alive stream of its own: with every node lane
 * backed up by thousands of heartbeats' renewals, the session's renewal does not wait for them.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionLaneTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  @Test
  void aSessionRenewalIsAnsweredWhileNodeRenewalsStillQueue() throws Exception {
    EtcdConnector connector = new EtcdConnector(etcd.endpoints(), EtcdAccess.none(), TIMEOUT);
    Client client = connector.client();
    try (LeaseKeepAlives keepAlives = new LeaseKeepAlives(connector.channels(), Optional.empty(),
        TIMEOUT, new FacadeMetrics())) {
      // Enough leases that every node lane has some; granted at once (a setup, not timed).
      List<CompletableFuture<LeaseGrantResponse>> grants = new ArrayList<>();
      for (int i = 0; i <= 32; i++) {
        grants.add(client.getLeaseClient().grant(60));
      }
      CompletableFuture.allOf(grants.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      List<Long> nodes = new ArrayList<>();
      grants.subList(1, grants.size()).forEach(g -> nodes.add(g.join().getID()));
      long session = grants.get(0).join().getID();
      List<CompletableFuture<Long>> heartbeats = new ArrayList<>();
      for (int round = 0; round < 1_000; round++) {
        for (long node : nodes) {
          heartbeats.add(keepAlives.keepAliveAsync(node).exceptionally(e -> -1L));
        }
      }
      long ttl = keepAlives.sessionKeepAliveAsync(session).get(3, TimeUnit.SECONDS);
      long answered = heartbeats.stream().filter(CompletableFuture::isDone).count();
      System.out.printf("session renewed with %d of %d node renewals answered%n", answered,
          heartbeats.size());
      assertTrue(ttl > 0, "renewed");
      assertTrue(answered < heartbeats.size() / 2, "the session's renewal came before most of "
          + "the node renewals sent ahead of it: " + answered + " of " + heartbeats.size());
    } finally {
      client.close();
    }
  }
}
