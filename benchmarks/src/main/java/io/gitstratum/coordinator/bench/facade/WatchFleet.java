package io.gitstratum.coordinator.bench.facade;

import io.gitstratum.coordinator.bench.measure.ArrivalRound;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many WatchTopology streams from this process, spread over the given channels, each keeping
 * only what the measurement needs: whether its first full_sync arrived, and when it saw the
 * version of the current {@link ArrivalRound}. Thread-safe; {@link #close()} cancels every stream.
 */
public final class WatchFleet implements AutoCloseable {
  private final List<ClientCallStreamObserver<WatchTopologyRequest>> calls = new ArrayList<>();
  private final CountDownLatch synced;
  private final AtomicLong errors = new AtomicLong();
  private volatile ArrivalRound round;

  private WatchFleet(int size) {
    this.synced = new CountDownLatch(size);
  }

  /** Opens {@code size} streams from version 0 (each starts with a full_sync). */
  public static WatchFleet open(List<ManagedChannel> channels, int size) {
    WatchFleet fleet = new WatchFleet(size);
    for (int i = 0; i < size; i++) {
      int index = i;
      CoordinatorServiceGrpc.newStub(channels.get(i % channels.size())).watchTopology(
          WatchTopologyRequest.getDefaultInstance(),
          new ClientResponseObserver<WatchTopologyRequest, TopologyUpdate>() {
            private boolean first = true;

            @Override
            public void beforeStart(ClientCallStreamObserver<WatchTopologyRequest> call) {
              synchronized (fleet.calls) {
                fleet.calls.add(call);
              }
            }

            @Override
            public void onNext(TopologyUpdate update) {
              if (update.hasKeepalive() || update.hasLagged()) {
                return;
              }
              if (first) {
                first = false;
                fleet.synced.countDown();
              }
              ArrivalRound r = fleet.round;
              if (r != null) {
                r.saw(index, update.getVersion());
              }
            }

            @Override
            public void onError(Throwable t) {
              fleet.errors.incrementAndGet();
            }

            @Override
            public void onCompleted() {}
          });
    }
    return fleet;
  }

  /** Waits until every stream has received its first message (the full_sync). */
  public boolean awaitSynced(long timeoutMs) throws InterruptedException {
    return synced.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Streams that ended with an error (a replica refusing or dropping streams). */
  public long errors() {
    return errors.get();
  }

  /** Makes {@code next} the round every stream reports to. */
  public void track(ArrivalRound next) {
    this.round = next;
  }

  @Override
  public void close() {
    round = null;
    synchronized (calls) {
      calls.forEach(c -> c.cancel("benchmark done", null));
      calls.clear();
    }
  }
}
