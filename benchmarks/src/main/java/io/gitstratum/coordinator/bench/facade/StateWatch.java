package io.gitstratum.coordinator.bench.facade;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.function.Consumer;

/**
 * One WatchTopology stream that hands every node change (added or updated) to a callback, as a
 * client library would see it. Closing cancels the stream.
 */
public final class StateWatch implements AutoCloseable {
  private volatile ClientCallStreamObserver<WatchTopologyRequest> call;

  private StateWatch() {}

  /** Opens the stream from version 0; the callback runs on gRPC's threads. */
  public static StateWatch open(ManagedChannel channel, Consumer<NodeInfo> onNodeChange) {
    StateWatch watch = new StateWatch();
    CoordinatorServiceGrpc.newStub(channel).watchTopology(WatchTopologyRequest.getDefaultInstance(),
        new ClientResponseObserver<WatchTopologyRequest, TopologyUpdate>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchTopologyRequest> c) {
            watch.call = c;
          }

          @Override
          public void onNext(TopologyUpdate update) {
            if (update.hasNodeAdded()) {
              onNodeChange.accept(update.getNodeAdded());
            } else if (update.hasNodeUpdated()) {
              onNodeChange.accept(update.getNodeUpdated());
            }
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    return watch;
  }

  @Override
  public void close() {
    if (call != null) {
      call.cancel("benchmark done", null);
    }
  }
}
