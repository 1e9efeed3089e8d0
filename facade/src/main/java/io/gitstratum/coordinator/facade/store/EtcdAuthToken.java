package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * etcd's auth token for the facade's own gRPC channels to etcd (jetcd handles its own): got
 * with {@code Auth.Authenticate} from the user and password, sent as the {@code token} header,
 * and fetched again after etcd rejects it (tokens expire after etcd's
 * {@code --auth-token-ttl} without use, and are invalidated by auth changes). Tokens are
 * cluster-wide, so one serves every endpoint. The password is held only to authenticate and is
 * never logged. Thread-safe.
 */
public final class EtcdAuthToken {
  static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

  private final String user;
  private final String password;
  private final Duration timeout;
  private volatile String token;

  public EtcdAuthToken(String user, String password, Duration timeout) {
    this.user = user;
    this.password = password;
    this.timeout = timeout;
  }

  /**
   * Makes sure a token is at hand, authenticating over {@code channel} when there is none.
   * Blocks at most the etcd timeout.
   *
   * @throws UnavailableException when etcd cannot be reached or refuses the credentials
   */
  public void ensure(Channel channel) {
    if (token != null) {
      return;
    }
    synchronized (this) {
      if (token == null) {
        token = authenticate(channel);
      }
    }
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

  private String authenticate(Channel channel) {
    try {
      return AuthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password)
              .build())
          .getToken();
    } catch (StatusRuntimeException e) {
      throw new UnavailableException("etcd authentication of user '" + user + "' failed: "
          + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
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
