package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.errors.RateLimitedException;
import io.gitstratum.coordinator.facade.errors.WatcherLimitException;
import io.gitstratum.coordinator.facade.guard.ClientIdentity;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.guard.RequestCategory;
import io.gitstratum.coordinator.facade.guard.RequestRateLimits;
import io.gitstratum.coordinator.facade.guard.WatchStreamCounter;
import io.gitstratum.coordinator.facade.tls.CertificateIdentity;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The limiters on a fake clock: budgets, separation, retry delays and bounded memory. */
class RequestRateLimitsTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private static LimitSettings limits(int perClient, int perReplica, int tracked) {
    return new LimitSettings(perClient, perClient, perClient, perReplica, perReplica, perReplica,
        2, tracked, 1 << 20);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void aClientGetsItsBudgetPerSecondThenARetryDelayUntilTheNextSecond() {
    RequestRateLimits limits = new RequestRateLimits(limits(3, 0, 100), now::get);
    ClientIdentity a = ClientIdentity.ofAddress("10.0.0.1");
    for (int i = 0; i < 3; i++) {
      limits.acquire(a, RequestCategory.HEARTBEATS);
    }
    advance(Duration.ofMillis(300));
    RateLimitedException e = assertThrows(RateLimitedException.class,
        () -> limits.acquire(a, RequestCategory.HEARTBEATS));
    assertEquals("client", e.metadata().get("scope"));
    assertEquals("heartbeats", e.metadata().get("category"));
    Duration delay = e.retryDelay().orElseThrow();
    assertTrue(delay.compareTo(Duration.ofMillis(500)) > 0 && delay.compareTo(
        Duration.ofMillis(700)) <= 0, "about the rest of the second: " + delay);
    advance(delay);
    limits.acquire(a, RequestCategory.HEARTBEATS);
  }

  @Test
  void categoriesAndClientsHaveSeparateBudgets() {
    RequestRateLimits limits = new RequestRateLimits(limits(1, 0, 100), now::get);
    ClientIdentity a = ClientIdentity.ofAddress("10.0.0.1");
    ClientIdentity b = ClientIdentity.ofCertificate(CertificateIdentity.node("obj-2"), "CN=obj-2");
    limits.acquire(a, RequestCategory.REGISTRATIONS);
    assertThrows(RateLimitedException.class, () -> limits.acquire(a,
        RequestCategory.REGISTRATIONS));
    limits.acquire(a, RequestCategory.HEARTBEATS);
    limits.acquire(a, RequestCategory.READS);
    limits.acquire(b, RequestCategory.REGISTRATIONS);
  }

  @Test
  void theReplicaBudgetIsSharedByAllClients() {
    RequestRateLimits limits = new RequestRateLimits(limits(0, 2, 100), now::get);
    limits.acquire(ClientIdentity.ofAddress("10.0.0.1"), RequestCategory.READS);
    limits.acquire(ClientIdentity.ofAddress("10.0.0.2"), RequestCategory.READS);
    RateLimitedException e = assertThrows(RateLimitedException.class,
        () -> limits.acquire(ClientIdentity.ofAddress("10.0.0.3"), RequestCategory.READS));
    assertEquals("replica", e.metadata().get("scope"));
    assertEquals("2", e.metadata().get("limitPerSecond"));
  }

  @Test
  void trackedClientsStayBoundedAndIdleOnesAreForgotten() {
    RequestRateLimits limits = new RequestRateLimits(limits(5, 0, 100), now::get);
    for (int i = 0; i < 5_000; i++) {
      limits.acquire(ClientIdentity.ofAddress("10.1." + (i / 256) + "." + (i % 256)),
          RequestCategory.READS);
    }
    assertTrue(limits.trackedLimiters() <= 100, "bounded: " + limits.trackedLimiters());
    advance(Duration.ofMinutes(2));
    assertEquals(0, limits.trackedLimiters(), "idle clients are evicted");
  }

  @Test
  void watchStreamsAreCappedPerClientAndReleased() {
    WatchStreamCounter counter = new WatchStreamCounter(2);
    ClientIdentity a = ClientIdentity.ofAddress("10.0.0.1");
    counter.acquire(a);
    counter.acquire(a);
    WatcherLimitException e = assertThrows(WatcherLimitException.class, () -> counter.acquire(a));
    assertEquals("client", e.metadata().get("scope"));
    counter.acquire(ClientIdentity.ofAddress("10.0.0.2"));
    counter.release(a);
    counter.acquire(a);
    assertEquals(2, counter.open(a));
  }
}
