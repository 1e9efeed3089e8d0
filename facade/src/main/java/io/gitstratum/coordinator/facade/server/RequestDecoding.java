package io.gitstratum.coordinator.facade.server;

import io.gitstratum.coordinator.facade.errors.MalformedRequestException;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes request messages in the facade's own code rather than in gRPC's transport, so that
 * bytes that are not a valid request, and calls that do not carry exactly one request message,
 * are answered INVALID_ARGUMENT / {@code MALFORMED_REQUEST} with typed details. Left to gRPC they
 * would end as INTERNAL ("Invalid protobuf byte sequence", "Half-closed without a request"),
 * which the contract reserves for bugs.
 *
 * <p>The wrapped service receives each request as the raw stream and parses it with the
 * method's own marshaller; responses, the schema descriptors (reflection) and method names are
 * unchanged. Stateless.
 */
final class RequestDecoding {
  private RequestDecoding() {}

  /** {@code service} with strict decoding of every method whose client sends one message. */
  static ServerServiceDefinition strict(ServerServiceDefinition service) {
    return ServiceMethods.rewrite(service, method -> method.getMethodDescriptor().getType()
        .clientSendsOneMessage() ? wrap(method) : method);
  }

  private static <Q, A> ServerMethodDefinition<InputStream, A> wrap(
      ServerMethodDefinition<Q, A> method) {
    MethodDescriptor<Q, A> typed = method.getMethodDescriptor();
    // Registered as bidi-streaming so that gRPC's own one-message checks (which answer a second
    // message with a bare stream reset) leave the framing to DecodingListener.
    MethodDescriptor<InputStream, A> raw = typed
        .toBuilder(RawMarshaller.INSTANCE, typed.getResponseMarshaller())
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .build();
    ServerCallHandler<InputStream, A> handler = (call, headers) -> {
      ServerCall.Listener<Q> inner = method.getServerCallHandler()
          .startCall(new TypedCall<>(call, typed), headers);
      return new DecodingListener<>(call, inner, typed);
    };
    return ServerMethodDefinition.create(raw, handler);
  }

  /** Hands the transport's stream through untouched; the listener parses it. */
  private enum RawMarshaller implements MethodDescriptor.Marshaller<InputStream> {
    INSTANCE;

    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  }

  /**
   * Parses each request; a bad one, a second one, or none at all closes the call with
   * MALFORMED_REQUEST and the handler never sees it. The answer waits for the client's
   * half-close: closing earlier makes the server reset the stream, and a reset can overtake the
   * trailers, so the client would see CANCELLED instead of the reason. Nothing more is requested
   * meanwhile, so a client that keeps sending is held back by flow control. Listener callbacks
   * are serialized by gRPC, so the fields need no lock.
   */
  private static final class DecodingListener<Q, A> extends ServerCall.Listener<InputStream> {
    private final ServerCall<InputStream, A> call;
    private final ServerCall.Listener<Q> inner;
    private final MethodDescriptor<Q, A> method;
    private int messages;
    private MalformedRequestException error;
    private boolean closed;

    DecodingListener(ServerCall<InputStream, A> call, ServerCall.Listener<Q> inner,
        MethodDescriptor<Q, A> method) {
      this.call = call;
      this.inner = inner;
      this.method = method;
    }

    @Override
    public void onMessage(InputStream message) {
      try (InputStream in = message) {
        if (error != null) {
          return;
        }
        String name = method.getBareMethodName();
        if (++messages > 1) {
          error = new MalformedRequestException(name, name + " takes exactly one request message",
              null);
          return;
        }
        Q request;
        try {
          request = method.parseRequest(in);
        } catch (RuntimeException e) {
          error = new MalformedRequestException(name, e);
          return;
        }
        inner.onMessage(request);
      } catch (IOException e) {
        // closing an in-memory frame does not fail; nothing to do if it did
      }
    }

    @Override
    public void onHalfClose() {
      if (error == null && messages == 0) {
        error = new MalformedRequestException(method.getBareMethodName(),
            method.getBareMethodName() + " takes exactly one request message; none was sent",
            null);
      }
      if (error != null) {
        closed = true;
        StatusRuntimeException status = StatusMapper.toException(error);
        call.close(status.getStatus(), status.getTrailers());
        return;
      }
      inner.onHalfClose();
    }

    @Override
    public void onCancel() {
      inner.onCancel();
    }

    @Override
    public void onComplete() {
      inner.onComplete();
    }

    @Override
    public void onReady() {
      if (error == null && !closed) {
        inner.onReady();
      }
    }
  }

  /** The call as the typed handler sees it: everything goes to the raw call. */
  private static final class TypedCall<Q, A> extends ServerCall<Q, A> {
    private final ServerCall<InputStream, A> raw;
    private final MethodDescriptor<Q, A> method;

    TypedCall(ServerCall<InputStream, A> raw, MethodDescriptor<Q, A> method) {
      this.raw = raw;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      raw.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      raw.sendHeaders(headers);
    }

    @Override
    public void sendMessage(A message) {
      raw.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return raw.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      raw.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return raw.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      raw.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      raw.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      raw.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return raw.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return raw.getAttributes();
    }

    @Override
    public String getAuthority() {
      return raw.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, A> getMethodDescriptor() {
      return method;
    }
  }
}
