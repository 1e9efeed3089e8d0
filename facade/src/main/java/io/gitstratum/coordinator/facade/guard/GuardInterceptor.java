package io.gitstratum.coordinator.facade.guard;

import io.gitstratum.coordinator.facade.errors.CoordinatorException;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first thing every call meets: works out who is calling, refuses a caller whose
 * certificate has since been revoked, applies the rate limits and the per-client watch stream
 * cap, and hands the identity to the handler (for node-bound authorization). A refused call is
 * closed before its request is even decoded, so it costs no etcd work. Thread-safe.
 */
@Singleton
public final class GuardInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(GuardInterceptor.class);

  private final ClientIdentities identities;
  private final RequestRateLimits rates;
  private final WatchStreamCounter watches;

  @Inject
  public GuardInterceptor(ClientIdentities identities, RequestRateLimits rates,
      WatchStreamCounter watches) {
    this.identities = identities;
    this.rates = rates;
    this.watches = watches;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    ClientIdentity client;
    boolean watch = RequestCategory.isWatch(method);
    try {
      client = identities.resolve(call.getAttributes());
      rates.acquire(client, RequestCategory.of(method));
      if (watch) {
        watches.acquire(client);
      }
    } catch (CoordinatorException e) {
      log.debug("refused {}: {}", method, e.getMessage());
      StatusRuntimeException status = StatusMapper.toException(e);
      call.close(status.getStatus(), status.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    Context context = client.attachTo(Context.current());
    if (!watch) {
      return Contexts.interceptCall(context, call, headers, next);
    }
    try {
      return releasing(Contexts.interceptCall(context, call, headers, next), client);
    } catch (RuntimeException e) {
      watches.release(client);
      throw e;
    }
  }

  /** Gives the client's stream slot back once, however the stream ends. */
  private <Q> ServerCall.Listener<Q> releasing(ServerCall.Listener<Q> listener,
      ClientIdentity client) {
    AtomicBoolean released = new AtomicBoolean();
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        release();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release();
        super.onCancel();
      }

      private void release() {
        if (released.compareAndSet(false, true)) {
          watches.release(client);
        }
      }
    };
  }
}
