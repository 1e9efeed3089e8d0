package io.gitstratum.coordinator.facade.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.cache.TopologyResponses;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class SharedTopologyEncodingTest {
  private static Topology topology(int nodes) {
    Topology topology = Topology.empty();
    for (int i = 1; i <= nodes; i++) {
      topology = topology.apply(TopologyUpdate.newBuilder().setVersion(i).setPreviousVersion(i - 1)
          .setNodeAdded(NodeInfo.newBuilder().setId("node-" + i).setType(NodeType.NODE_TYPE_OBJECT)
              .setAddress("10.0.0." + (i % 250) + ":7000").putLabels("zone", "z" + (i % 3)))
          .build());
    }
    return topology;
  }

  @Test
  void aFullSyncWithTheSharedBodyIsByteForByteWhatProtobufWrites() throws IOException {
    TopologyResponses responses = new TopologyResponses(() -> "replica-a");
    GetTopologyResponse body = responses.of(topology(300));
    byte[] shared = responses.encoded(body).orElseThrow();
    assertSame(shared, responses.encoded(body).orElseThrow(), "encoded once, then shared");

    for (long previous : new long[] {0, 7, 299, Long.MAX_VALUE}) {
      TopologyUpdate update = TopologyUpdate.newBuilder().setVersion(300)
          .setPreviousVersion(previous).setFullSync(body).build();
      SharedTopologyEncoding.Encoding encoding = SharedTopologyEncoding.fullSync(update, shared);
      assertSame(shared, encoding.body());
      byte[] sent = drain(encoding.stream());
      assertArrayEquals(update.toByteArray(), sent, "previous_version " + previous);
      assertEquals(update, TopologyUpdate.parseFrom(read(encoding.stream())));
    }
  }

  @Test
  void onlyMessagesBuiltByTheResponsesAreShared() {
    TopologyResponses responses = new TopologyResponses(() -> "");
    GetTopologyResponse built = responses.of(topology(3));
    GetTopologyResponse equalCopy = built.toBuilder().build();
    assertTrue(responses.encoded(built).isPresent());
    assertTrue(responses.encoded(equalCopy).isEmpty(), "identity, not equality");
  }

  private static byte[] drain(InputStream stream) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ((io.grpc.Drainable) stream).drainTo(out);
    assertEquals(-1, stream.read(), "drained to the end");
    return out.toByteArray();
  }

  /** Reads through odd-sized chunks, across the head/body boundary. */
  private static byte[] read(InputStream stream) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[7];
    int first = stream.read();
    out.write(first);
    for (int n; (n = stream.read(chunk, 0, chunk.length)) > 0; ) {
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }
}
