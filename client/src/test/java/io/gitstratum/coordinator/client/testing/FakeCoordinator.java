package io.gitstratum.coordinator.client.testing;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.gitstratum.coordinator.client.errors.ErrorDetails;
import io.gitstratum.coordinator.client.failover.ChannelFactory;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.DeregisterNodeResponse;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A scriptable CoordinatorService on the in-process transport, for client tests where etcd is
 * not the point: each RPC answers with a replaceable function (which may throw a gRPC status),
 * or every call fails with {@link #failAll}. Records requests. The endpoint host is the server
 * name (port ignored): use {@link #channels()} as the client's channel factory.
 */
public final class FakeCoordinator extends CoordinatorServiceGrpc.CoordinatorServiceImplBase
    implements AutoCloseable {
  public final String name;
  public final AtomicInteger calls = new AtomicInteger();
  public final List<Object> requests = new CopyOnWriteArrayList<>();
  public final List<StreamObserver<TopologyUpdate>> watchers = new CopyOnWriteArrayList<>();
  public final List<Long> watchSince = new CopyOnWriteArrayList<>();
  public volatile Status failAll;
  public volatile Function<GetTopologyRequest, GetTopologyResponse> topology =
      r -> GetTopologyResponse.getDefaultInstance();
  public volatile Function<RegisterNodeRequest, RegisterNodeResponse> register =
      r -> RegisterNodeResponse.newBuilder().setTopologyVersion(1).build();
  public volatile Function<DeregisterNodeRequest, DeregisterNodeResponse> deregister =
      r -> DeregisterNodeResponse.newBuilder().setTopologyVersion(2).build();
  public volatile Function<HeartbeatRequest, HeartbeatResponse> heartbeat =
      r -> HeartbeatResponse.newBuilder().setCurrentVersion(1).setHeartbeatIntervalMs(50).build();
  private final Server server;

  private FakeCoordinator(String name) {
    this.name = name;
    this.server = InProcessServerBuilder.forName(name).directExecutor().addService(this).build();
  }

  /** Starts a fake named {@code name} (unique per test); reach it as endpoint {@code name:1}. */
  public static FakeCoordinator start(String name) {
    FakeCoordinator fake = new FakeCoordinator(name);
    try {
      fake.server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return fake;
  }

  public String endpoint() {
    return name + ":1";
  }

  /** Channels to fakes by name (the endpoint's host). */
  public static ChannelFactory channels() {
    return endpoint -> InProcessChannelBuilder.forName(endpoint.host()).directExecutor().build();
  }

  public static StatusRuntimeException status(Status.Code code, String description) {
    return Status.fromCode(code).withDescription(description).asRuntimeException();
  }

  /**
   * A status as the facade sends it: with an ErrorInfo of {@code reason} (none when empty) and,
   * when {@code retryDelay} is not null, a RetryInfo.
   */
  public static StatusRuntimeException error(Status.Code code, String reason,
      Map<String, String> metadata, Duration retryDelay) {
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
        .setCode(code.value()).setMessage(reason);
    if (!reason.isEmpty()) {
      status.addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(ErrorDetails.DOMAIN)
          .setReason(reason).putAllMetadata(metadata).build()));
    }
    if (retryDelay != null) {
      status.addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(
          com.google.protobuf.Duration.newBuilder().setSeconds(retryDelay.getSeconds())
              .setNanos(retryDelay.getNano())).build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  public <T> List<T> requests(Class<T> type) {
    return requests.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private <Q, R> void answer(Q request, Function<Q, R> handler, StreamObserver<R> observer) {
    calls.incrementAndGet();
    requests.add(request);
    Status fail = failAll;
    if (fail != null) {
      observer.onError(fail.asRuntimeException());
      return;
    }
    R response;
    try {
      response = handler.apply(request);
    } catch (StatusRuntimeException e) {
      observer.onError(e);
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  @Override
  public void getTopology(GetTopologyRequest request,
      StreamObserver<GetTopologyResponse> observer) {
    answer(request, topology, observer);
  }

  @Override
  public void registerNode(RegisterNodeRequest request,
      StreamObserver<RegisterNodeResponse> observer) {
    answer(request, register, observer);
  }

  @Override
  public void deregisterNode(DeregisterNodeRequest request,
      StreamObserver<DeregisterNodeResponse> observer) {
    answer(request, deregister, observer);
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
    answer(request, heartbeat, observer);
  }

  /** Keeps the stream open; tests push messages through {@link #watchers}. */
  @Override
  public void watchTopology(WatchTopologyRequest request,
      StreamObserver<TopologyUpdate> observer) {
    calls.incrementAndGet();
    Status fail = failAll;
    if (fail != null) {
      observer.onError(fail.asRuntimeException());
      return;
    }
    watchSince.add(request.getSinceVersion());
    watchers.add(observer);
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
