package io.gitstratum.coordinator.facade.etcd;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * etcd's auth token for the facade's own gRPC channels to etcd (jetcd handles its own): got
 * with {@code Auth.Authenticate} from the user and password, sent as the {@code token} header,
 * and fetched again after etcd rejects it (tokens expire after etcd's
 * {@code --auth-token-ttl} without use, and are invalidated by auth changes). Tokens are
 * cluster-wide, so one serves every endpoint. The password is held only to authenticate and is
 * never logged. Fetching one never blocks its caller ({@link #ready}), and at most one
 * Authenticate is in flight. Thread-safe.
 */
public final class EtcdAuthToken {
  static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final String user;
  private final String password;
  private final Duration timeout;
  private volatile String token;
  /** The Authenticate in flight, if any: one at a time, joined by every caller meanwhile. */
  private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();

  public EtcdAuthToken(String user, String password, Duration timeout) {
    this.user = user;
    this.password = password;
    this.timeout = timeout;
  }

  /**
   * A token at hand: done at once when there is one; else the one Authenticate in flight over
   * {@code channel}, started by the first caller and joined by the others. Never blocks: callers
   * include gRPC's transport threads, which must not wait on etcd nor on each other.
   *
   * @return completes when a token is attached to new calls; fails with
   *     {@link UnavailableException} when etcd cannot be reached within the timeout or refuses
   *     the credentials
   */
  public CompletableFuture<Void> ready(Channel channel) {
    if (token != null) {
      return DONE;
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = inFlight.compareAndExchange(null, mine);
    if (running != null) {
      return running.copy(); // a caller giving up on its copy leaves the others theirs
    }
    if (token != null) { // another Authenticate ended between the two reads
      inFlight.compareAndSet(mine, null);
      return DONE;
    }
    authenticate(channel, mine);
    return mine.copy();
  }

  /** Forgets the token when {@code error} says etcd no longer accepts it. */
  public void invalidateIfRejected(Throwable error) {
    if (rejectsToken(error)) {
      token = null;
    }
  }

  /** Attaches the current token to every call on the channel it intercepts. */
  public ClientInterceptor interceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method,
          CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<A> listener, Metadata headers) {
            String current = token;
            if (current != null) {
              headers.put(TOKEN, current);
            }
            super.start(listener, headers);
          }
        };
      }
    };
  }

  private void authenticate(Channel channel, CompletableFuture<Void> done) {
    ListenableFuture<AuthenticateResponse> call;
    try {
      call = AuthGrpc.newFutureStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password)
              .build());
    } catch (RuntimeException e) {
      finish(done, null, e);
      return;
    }
    Futures.addCallback(call, new FutureCallback<>() {
      @Override
      public void onSuccess(AuthenticateResponse response) {
        finish(done, response.getToken(), null);
      }

      @Override
      public void onFailure(Throwable error) {
        finish(done, null, error);
      }
    }, MoreExecutors.directExecutor());
  }

  /** Ends the Authenticate in flight: the next caller without a token starts another. */
  private void finish(CompletableFuture<Void> done, String got, Throwable error) {
    if (got != null) {
      token = got;
    }
    inFlight.compareAndSet(done, null);
    if (error == null) {
      done.complete(null);
    } else {
      Status status = Status.fromThrowable(error);
      done.completeExceptionally(new UnavailableException("etcd authentication of user '"
          + user + "' failed: " + status.getCode() + " " + status.getDescription(), error));
    }
  }

  /** etcd's answers to a token it no longer accepts (see jetcd's own retry rules). */
  static boolean rejectsToken(Throwable error) {
    Status status = Status.fromThrowable(error);
    String description = String.valueOf(status.getDescription());
    return status.getCode() == Status.Code.UNAUTHENTICATED
        || description.contains("invalid auth token")
        || description.contains("revision of auth store is old");
  }
}
