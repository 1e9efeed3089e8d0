package io.gitstratum.coordinator.facade.server;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.util.OptionalLong;

/**
 * When each call reached the replica: stamped on the transport thread as the call arrives,
 * before it waits for an application thread, and put into the call's gRPC context. On a replica
 * short of CPU, the time between the two is where calls queue; a handler can refuse one that
 * waited too long before spending anything on it. Stateless.
 */
public final class CallArrival extends ServerStreamTracer.Factory {
  private static final Context.Key<Long> ARRIVED = Context.key("gitstratum-call-arrived-nanos");

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    long arrived = System.nanoTime();
    return new ServerStreamTracer() {
      @Override
      public Context filterContext(Context context) {
        return context.withValue(ARRIVED, arrived);
      }
    };
  }

  /** When the current call arrived ({@link System#nanoTime}); empty outside a call. */
  public static OptionalLong arrivedNanos() {
    Long arrived = ARRIVED.get();
    return arrived == null ? OptionalLong.empty() : OptionalLong.of(arrived);
  }
}
