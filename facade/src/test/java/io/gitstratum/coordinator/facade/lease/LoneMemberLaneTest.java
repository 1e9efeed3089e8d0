package io.gitstratum.coordinator.facade.lease;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.etcd.EtcdAccess;
import io.gitstratum.coordinator.facade.etcd.EtcdConnector;
import io.gitstratum.coordinator.facade.etcd.SilentMembers;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A lone etcd member found silent (its status went unanswered while it was busy) is still the
 * only member there is: renewals waiting on it are answered late, not failed early. Failing them
 * cost live nodes their leases on a single-member etcd under load (the capacity benchmark's
 * first step on a cold replica: 79 nodes SUSPECT, every heartbeat answered).
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoneMemberLaneTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  @Test
  void renewalsWaitingOnASlowLoneMemberFoundSilentAreAnsweredNotFailed() throws Exception {
    Client client = new EtcdConnector(etcd.endpoints(), EtcdAccess.none(), TIMEOUT).client();
    try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0))) {
      EtcdConnector connector = new EtcdConnector(List.of(proxy.endpoint()), EtcdAccess.none(),
          TIMEOUT);
      SilentMembers silent = new SilentMembers(1, TIMEOUT);
      try (LeaseKeepAlives keepAlives = new LeaseKeepAlives(connector.channels(),
          Optional.empty(), TIMEOUT, Duration.ZERO, Duration.ofSeconds(60), Duration.ofSeconds(10),
          silent, new FacadeMetrics())) {
        long lease = client.getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
        assertTrue(keepAlives.keepAliveAsync(lease).get(5, TimeUnit.SECONDS) > 0);

        silent.markSilent(0); // as a status check that went unanswered under load does
        proxy.delayResponses(Duration.ofMillis(1_500)); // slow, well within the etcd timeout
        CompletableFuture<Long> waiting = keepAlives.keepAliveAsync(lease);
        // The next renewal on the same lane comes once the first has waited more than a quarter
        // of the timeout: the point at which a lane leaves a member others found silent.
        Thread.sleep(1_000);
        CompletableFuture<Long> next = keepAlives.keepAliveAsync(lease);

        assertTrue(waiting.get(5, TimeUnit.SECONDS) > 0, "answered, late");
        assertTrue(next.get(5, TimeUnit.SECONDS) > 0);
      }
    } finally {
      client.close();
    }
  }
}
