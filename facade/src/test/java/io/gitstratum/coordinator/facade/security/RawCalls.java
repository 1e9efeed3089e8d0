package io.gitstratum.coordinator.facade.security;

import com.google.common.io.ByteStreams;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Calls to the facade with arbitrary request bytes, as a broken or hostile client sends them. */
final class RawCalls {
  static final String SERVICE = "gitstratum.CoordinatorService/";

  private RawCalls() {}

  static MethodDescriptor<byte[], byte[]> unary(String method) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(SERVICE + method)
        .setRequestMarshaller(Bytes.INSTANCE)
        .setResponseMarshaller(Bytes.INSTANCE)
        .build();
  }

  static MethodDescriptor<byte[], byte[]> serverStreaming(String method) {
    return unary(method).toBuilder().setType(MethodDescriptor.MethodType.SERVER_STREAMING)
        .build();
  }

  /** One unary call with {@code request} as the message bytes; throws the status on error. */
  static byte[] call(Channel channel, String method, byte[] request) {
    return ClientCalls.blockingUnaryCall(channel, unary(method),
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), request);
  }

  /**
   * A call carrying exactly {@code messages} (zero, one or several); answers how it ended, as a
   * status exception with the trailers (status OK included).
   */
  static StatusRuntimeException callWith(Channel channel, MethodDescriptor<byte[], byte[]> method,
      List<byte[]> messages) throws Exception {
    CompletableFuture<StatusRuntimeException> done = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = channel.newCall(method,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        done.complete(new StatusRuntimeException(status, trailers));
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    messages.forEach(call::sendMessage);
    call.halfClose();
    return done.get(20, TimeUnit.SECONDS);
  }

  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return ByteStreams.toByteArray(stream);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
