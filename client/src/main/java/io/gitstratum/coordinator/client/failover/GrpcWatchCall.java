package io.gitstratum.coordinator.client.failover;

import io.gitstratum.coordinator.client.errors.ClientErrors;
import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.Remedy;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/**
 * A WatchTopology call on one pool member: translates errors, feeds the member's circuit
 * breaker and moves the pool off the member when the stream breaks by the replica's fault.
 *
 * <p>The breaker permission taken when the call opened is settled exactly once: success on the
 * first message, failure (if the error counts) when the stream breaks before any message.
 */
final class GrpcWatchCall implements WatchCall,
    ClientResponseObserver<WatchTopologyRequest, TopologyUpdate> {
  private final EndpointPool pool;
  private final EndpointPool.Pick pick;
  private final EndpointPool.Member member;
  private final WatchObserver observer;
  private final long startNanos = System.nanoTime();
  private volatile ClientCallStreamObserver<WatchTopologyRequest> call;
  private volatile boolean cancelled;
  private boolean settled; // confined to gRPC's serialized callbacks

  GrpcWatchCall(EndpointPool pool, EndpointPool.Pick pick, WatchObserver observer) {
    this.pool = pool;
    this.pick = pick;
    this.member = pick.member();
    this.observer = observer;
  }

  static WatchCall open(EndpointPool pool, long sinceVersion, WatchObserver observer) {
    EndpointPool.Pick pick = pool.acquire();
    GrpcWatchCall watch = new GrpcWatchCall(pool, pick, observer);
    try {
      pick.member().async.watchTopology(
          WatchTopologyRequest.newBuilder().setSinceVersion(sinceVersion).build(), watch);
    } catch (RuntimeException e) {
      pick.released();
      throw ClientErrors.fromThrowable(e, pick.member().name);
    }
    return watch;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<WatchTopologyRequest> requestStream) {
    this.call = requestStream;
  }

  @Override
  public String endpoint() {
    return member.name;
  }

  @Override
  public void cancel() {
    cancelled = true;
    ClientCallStreamObserver<WatchTopologyRequest> c = call;
    if (c != null) {
      c.cancel("watch closed by the client", null);
    }
  }

  @Override
  public void abandon(String reason) {
    cancel();
    pool.moveOff(member, new UnavailableException(reason, member.name, null));
  }

  @Override
  public void onNext(TopologyUpdate update) {
    if (!settled) {
      settled = true;
      pick.succeeded(elapsedNanos());
    }
    if (!cancelled) {
      observer.onNext(update);
    }
  }

  @Override
  public void onError(Throwable t) {
    CoordinatorClientException error = ClientErrors.fromThrowable(t, member.name);
    if (!settled) {
      settled = true;
      if (cancelled) {
        pick.released();
      } else {
        pick.failed(elapsedNanos(), error);
      }
    }
    if (cancelled) {
      return;
    }
    // A stream broken by its replica (shutting down, not ready, a replica-wide limit) resumes
    // on another; one broken by what every replica shares (etcd) resumes where it was.
    if (error.remedy() == Remedy.ANOTHER_REPLICA) {
      pool.moveOff(member, error);
    }
    observer.onError(error);
  }

  @Override
  public void onCompleted() {
    if (!settled) {
      settled = true;
      pick.released();
    }
    if (!cancelled) {
      observer.onCompleted();
    }
  }

  private long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }
}
