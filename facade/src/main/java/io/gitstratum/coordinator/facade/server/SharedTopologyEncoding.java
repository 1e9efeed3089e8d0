package io.gitstratum.coordinator.facade.server;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.gitstratum.coordinator.facade.cache.TopologyResponses;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.PrototypeMarshaller;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Sends a shared topology's bytes instead of encoding it once per call: GetTopology answers and
 * WatchTopology full_syncs built by {@link TopologyResponses} go out as its one encoding (a
 * full_sync is a few bytes of its own fields followed by the shared encoding as field 6, which
 * is how protobuf encodes it anyway). Any other message is encoded as usual. gRPC still copies
 * the bytes into each stream's outbound buffers while sending; the watch hub bounds how many
 * large sends are in transit at once. Stateless apart from the shared responses.
 */
final class SharedTopologyEncoding {
  private SharedTopologyEncoding() {}

  /** {@code service} with the shared encoding for GetTopology and WatchTopology responses. */
  static ServerServiceDefinition apply(ServerServiceDefinition service,
      TopologyResponses responses) {
    String getTopology = CoordinatorServiceGrpc.getGetTopologyMethod().getFullMethodName();
    String watchTopology = CoordinatorServiceGrpc.getWatchTopologyMethod().getFullMethodName();
    return ServiceMethods.rewrite(service, method -> {
      String name = method.getMethodDescriptor().getFullMethodName();
      if (name.equals(getTopology)) {
        Function<GetTopologyResponse, Optional<Encoding>> whole = response ->
            responses.encoded(response).map(body -> new Encoding(new byte[0], body));
        return withResponses(method, GetTopologyResponse.class, whole);
      }
      if (name.equals(watchTopology)) {
        Function<TopologyUpdate, Optional<Encoding>> withBody = update -> update.hasFullSync()
            ? responses.encoded(update.getFullSync()).map(body -> fullSync(update, body))
            : Optional.empty();
        return withResponses(method, TopologyUpdate.class, withBody);
      }
      return method;
    });
  }

  /** The encoding of {@code update}, whose full_sync is encoded as {@code body}. */
  static Encoding fullSync(TopologyUpdate update, byte[] body) {
    TopologyUpdate rest = update.toBuilder().clearFullSync().build();
    byte[] head = new byte[rest.getSerializedSize()
        + CodedOutputStream.computeTagSize(TopologyUpdate.FULL_SYNC_FIELD_NUMBER)
        + CodedOutputStream.computeUInt32SizeNoTag(body.length)];
    CodedOutputStream out = CodedOutputStream.newInstance(head);
    try {
      rest.writeTo(out);
      out.writeTag(TopologyUpdate.FULL_SYNC_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(body.length);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array of the computed size
    }
    out.checkNoSpaceLeft();
    return new Encoding(head, body);
  }

  @SuppressWarnings("unchecked")
  private static <Q, A> ServerMethodDefinition<Q, A> withResponses(
      ServerMethodDefinition<Q, A> method, Class<?> responseType,
      Function<?, Optional<Encoding>> shared) { // typed by responseType, checked below
    MethodDescriptor<Q, A> descriptor = method.getMethodDescriptor();
    PrototypeMarshaller<A> plain = (PrototypeMarshaller<A>) descriptor.getResponseMarshaller();
    if (plain.getMessageClass() != responseType) {
      throw new IllegalStateException(descriptor.getFullMethodName() + " answers "
          + plain.getMessageClass() + ", not " + responseType);
    }
    MethodDescriptor<Q, A> rewritten = descriptor.toBuilder()
        .setResponseMarshaller(new Shared<>(plain, (Function<A, Optional<Encoding>>) shared))
        .build();
    return ServerMethodDefinition.create(rewritten, method.getServerCallHandler());
  }

  /** A message's encoding as its own head followed by a shared body; never modified. */
  record Encoding(byte[] head, byte[] body) {
    InputStream stream() {
      return new EncodingStream(head, body);
    }
  }

  private record Shared<A>(PrototypeMarshaller<A> plain, Function<A, Optional<Encoding>> shared)
      implements PrototypeMarshaller<A> {
    @Override
    public InputStream stream(A value) {
      return shared.apply(value).map(Encoding::stream).orElseGet(() -> plain.stream(value));
    }

    @Override
    public A parse(InputStream stream) {
      return plain.parse(stream);
    }

    @Override
    public A getMessagePrototype() {
      return plain.getMessagePrototype();
    }

    @Override
    public Class<A> getMessageClass() {
      return plain.getMessageClass();
    }
  }

  /**
   * Reads {@code head} then {@code body}. gRPC drains it straight into its outbound buffers
   * ({@link Drainable}) after sizing the frame ({@link KnownLength}).
   */
  private static final class EncodingStream extends InputStream implements Drainable, KnownLength {
    private final byte[] head;
    private final byte[] body;
    private int position;

    EncodingStream(byte[] head, byte[] body) {
      this.head = head;
      this.body = body;
    }

    @Override
    public int available() {
      return head.length + body.length - position;
    }

    @Override
    public int read() {
      if (position < head.length) {
        return head[position++] & 0xff;
      }
      if (position < head.length + body.length) {
        return body[position++ - head.length] & 0xff;
      }
      return -1;
    }

    @Override
    public int read(byte[] into, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      int remaining = available();
      if (remaining == 0) {
        return -1;
      }
      int count = 0;
      while (count < length && position < head.length + body.length) {
        boolean inHead = position < head.length;
        byte[] part = inHead ? head : body;
        int from = inHead ? position : position - head.length;
        int n = Math.min(length - count, part.length - from);
        System.arraycopy(part, from, into, offset + count, n);
        count += n;
        position += n;
      }
      return count;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int count = available();
      if (position < head.length) {
        target.write(head, position, head.length - position);
        position = head.length;
      }
      int from = position - head.length;
      target.write(body, from, body.length - from);
      position = head.length + body.length;
      return count;
    }
  }
}
