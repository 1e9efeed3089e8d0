package io.gitstratum.coordinator.facade.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Counts every gRPC call by method and status code, and times it. */
public final class RpcMetricsInterceptor implements ServerInterceptor {
  private final FacadeMetrics metrics;

  public RpcMetricsInterceptor(FacadeMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getBareMethodName();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        metrics.rpc(method == null ? "unknown" : method, status.getCode().name(),
            System.nanoTime() - start);
        super.close(status, trailers);
      }
    }, headers);
  }
}
