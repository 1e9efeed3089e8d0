package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.DrainNodeRequest;
import io.gitstratum.coordinator.admin.DrainNodeResponse;
import io.gitstratum.coordinator.client.errors.PermissionDeniedException;
import io.gitstratum.coordinator.client.testing.FakeCoordinator;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin service goes through the client's failover, retries and error mapping. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdminClientTest {

  /** An admin service whose DrainNode fails with {@code fail} when set, else answers version. */
  private static final class FakeAdmin extends CoordinatorAdminGrpc.CoordinatorAdminImplBase {
    final AtomicInteger calls = new AtomicInteger();
    final long version;
    volatile Status fail;

    FakeAdmin(long version) {
      this.version = version;
    }

    @Override
    public void drainNode(DrainNodeRequest request, StreamObserver<DrainNodeResponse> observer) {
      calls.incrementAndGet();
      if (fail != null) {
        observer.onError(fail.asRuntimeException());
        return;
      }
      observer.onNext(DrainNodeResponse.newBuilder().setTopologyVersion(version).build());
      observer.onCompleted();
    }
  }

  private static final AtomicInteger RUNS = new AtomicInteger();

  private final FakeAdmin a = new FakeAdmin(7);
  private final FakeAdmin b = new FakeAdmin(8);
  private final String prefix = "admin-" + RUNS.incrementAndGet();
  private final List<Server> servers = List.of(start(prefix + "a", a), start(prefix + "b", b));

  private static Server start(String name, FakeAdmin admin) {
    try {
      return InProcessServerBuilder.forName(name).directExecutor().addService(admin).build()
          .start();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stop() {
    servers.forEach(Server::shutdownNow);
  }

  private CoordinatorClient client() {
    return CoordinatorClient.builder(List.of(prefix + "a:1", prefix + "b:1"))
        .channelFactory(FakeCoordinator.channels()).shuffleEndpoints(false)
        .backoff(Duration.ofMillis(1), Duration.ofMillis(5)).build();
  }

  @Test
  void failsOverOnUnavailable() {
    a.fail = Status.UNAVAILABLE.withDescription("replica not ready");
    try (CoordinatorClient client = client()) {
      assertEquals(8, client.admin().drainNode("obj-1").getTopologyVersion());
      assertEquals(prefix + "b:1", client.currentEndpoint().orElseThrow());
    }
  }

  @Test
  void aRefusalIsTypedAndNotRetried() {
    a.fail = Status.PERMISSION_DENIED.withDescription("the admin service takes operators only");
    try (CoordinatorClient client = client()) {
      PermissionDeniedException e = assertThrows(PermissionDeniedException.class,
          () -> client.admin().drainNode("obj-1"));
      assertEquals("PERMISSION_DENIED: the admin service takes operators only (from " + prefix
          + "a:1)", e.getMessage());
      assertEquals(1, a.calls.get());
      assertEquals(0, b.calls.get());
    }
  }
}
