package io.gitstratum.coordinator.facade.server;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Sends WatchTopology's response headers as the call starts instead of with its first message.
 * A stream resumed at the current version may carry nothing until its first keepalive, and a
 * client whose deadline covers the wait for headers (tonic's endpoint timeout, 30 s in
 * gitstratum's client) would give up on every idle resume. Other methods pass through. Stateless.
 */
final class PromptWatchHeaders implements ServerInterceptor {
  private static final String WATCH =
      CoordinatorServiceGrpc.getWatchTopologyMethod().getFullMethodName();

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    if (!WATCH.equals(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    HeadersOnce<Q, A> once = new HeadersOnce<>(call);
    ServerCall.Listener<Q> listener = next.startCall(once, headers);
    // The handler runs once the request arrives, later on this call's serialized executor, so
    // this comes first; the stream's own sendHeaders then finds them sent.
    once.sendHeaders(new Metadata());
    return listener;
  }

  /** A call whose headers go out once: the first sendHeaders wins, later ones are dropped. */
  private static final class HeadersOnce<Q, A> extends SimpleForwardingServerCall<Q, A> {
    // Set on the call's executor before the handler starts; read later from the hub's senders.
    private volatile boolean sent;

    HeadersOnce(ServerCall<Q, A> call) {
      super(call);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      if (!sent) {
        sent = true;
        super.sendHeaders(headers);
      }
    }
  }
}
