package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WatchTopology sends its response headers at once, whatever the resume point: a stream resumed
 * at the current version carries no message until its first keepalive, and a client that bounds
 * the wait for headers (gitstratum's, through tonic's endpoint timeout) must not time out.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchHeadersTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @RegisterExtension
  final PerTestFacades facades = new PerTestFacades(etcd);

  @Test
  void headersComeWithin100MillisecondsWhenResumedAtTheCurrentVersion() throws Exception {
    FacadeServer replica = facades.harness().start(facades.cluster());
    facades.harness().stub(replica).registerNode(WatchTopologyTest.register("obj-1"));
    ManagedChannel channel = facades.harness().channel(replica);
    // The connection is up before the clock starts: the bound is the facade's, not TCP's.
    long current = CoordinatorServiceGrpc.newBlockingStub(channel)
        .getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build()).getVersion();
    assertEquals(1, current);

    // since 0 first: it also warms both ends, so the resume measures the facade alone.
    for (long since : new long[] {0, current}) {
      CompletableFuture<Long> headersAt = new CompletableFuture<>();
      AtomicInteger messagesBeforeHeaders = new AtomicInteger();
      ClientCall<WatchTopologyRequest, TopologyUpdate> call = channel.newCall(
          CoordinatorServiceGrpc.getWatchTopologyMethod(), CallOptions.DEFAULT);
      long start = System.nanoTime();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onHeaders(Metadata headers) {
          headersAt.complete(System.nanoTime());
        }

        @Override
        public void onMessage(TopologyUpdate message) {
          if (!headersAt.isDone()) {
            messagesBeforeHeaders.incrementAndGet();
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          headersAt.completeExceptionally(status.asRuntimeException());
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(WatchTopologyRequest.newBuilder().setSinceVersion(since).build());
      call.halfClose();
      long millis = TimeUnit.NANOSECONDS.toMillis(headersAt.get(5, TimeUnit.SECONDS) - start);
      call.cancel("done", null);
      System.out.printf("WatchTopology since %d: headers after %d ms%n", since, millis);
      assertTrue(millis < 100, "headers after " + millis + " ms, since " + since);
      assertEquals(0, messagesBeforeHeaders.get());
    }
  }
}
