package io.gitstratum.coordinator.facade.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * One watch stream against a fake gRPC stream and a fake clock: keepalives, and the end of a
 * stream whose client does not take its full_sync. The drains run on the calling thread, so every
 * interleaving here is the one written down; no etcd, no sleeps.
 */
class SubscriptionTest {
  private static final long SECOND = Duration.ofSeconds(1).toNanos();

  private final AtomicLong now = new AtomicLong(1_000 * SECOND);
  private final FakeStream stream = new FakeStream();
  private final FullSyncGate gate = new FullSyncGate(1 << 20);
  private final AtomicLong closedByHub = new AtomicLong();

  private Subscription subscription(long sinceVersion) {
    Subscription subscription = new Subscription(stream, sinceVersion, Topology::empty,
        topology -> topology.toResponse().build(), () -> 42L, now::get, Runnable::run, 100,
        closedByHub::incrementAndGet, StatusMapper::toException, gate, since -> Optional.empty());
    subscription.listen();
    return subscription;
  }

  @Test
  void aKeepaliveGoesOutOnlyAfterTheStreamWasIdleForTheInterval() {
    Subscription subscription = subscription(0);
    subscription.start(true, List.of());
    assertTrue(stream.sent.get(0).hasFullSync());

    now.addAndGet(10 * SECOND - 1);
    subscription.keepaliveIfIdle(10 * SECOND);
    assertEquals(1, stream.sent.size(), "idle for less than the interval");

    now.addAndGet(1);
    subscription.keepaliveIfIdle(10 * SECOND);
    assertEquals(2, stream.sent.size());
    assertEquals(42L, stream.sent.get(1).getKeepalive().getServerTime());

    subscription.keepaliveIfIdle(10 * SECOND);
    assertEquals(2, stream.sent.size(), "the keepalive itself counts as sending");
  }

  @Test
  void aStreamThatDoesNotTakeItsFullSyncIsEndedAndGivesItsShareBack() {
    stream.readyAfterSending = false; // the client does not read: gRPC's buffers stay full
    Subscription subscription = subscription(0);
    subscription.start(true, List.of());
    assertEquals(1, stream.sent.size());
    assertTrue(gate.inTransit() > 0, "the full_sync's bytes are held while gRPC has them");

    now.addAndGet(30 * SECOND - 1);
    subscription.closeIfStalled(30 * SECOND);
    assertFalse(subscription.isClosed());

    now.addAndGet(1);
    subscription.closeIfStalled(30 * SECOND);
    assertTrue(subscription.isClosed());
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(stream.error).getCode());
    assertTrue(stream.error.getMessage().contains("full_sync"), stream.error.getMessage());
    assertEquals(0, gate.inTransit());
    assertEquals(1, closedByHub.get(), "the hub forgets the stream");
  }

  @Test
  void aStreamThatTakesItsFullSyncLateIsKept() {
    stream.readyAfterSending = false;
    Subscription subscription = subscription(0);
    subscription.start(true, List.of());

    now.addAndGet(29 * SECOND);
    stream.becomeReady(); // the client read it after all
    assertEquals(0, gate.inTransit());

    now.addAndGet(60 * SECOND);
    subscription.closeIfStalled(30 * SECOND);
    assertFalse(subscription.isClosed());
  }
}
