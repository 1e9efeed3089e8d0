package io.gitstratum.coordinator.schema.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.Keepalive;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import io.gitstratum.coordinator.schema.records.SchemaRecord;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Properties of decoding whatever etcd may hold under the prefix (random bytes, random JSON,
 * damaged records): every decoder either returns a record or throws CorruptRecordException, never
 * another exception and never a record for input that is not a JSON object; what decodes
 * re-encodes to an equal record; valid records round-trip.
 *
 * <p>Properties run with jqwik: a failure prints the seed and jqwik reruns it first next time.
 */
class RecordCodecPropertiesTest {
  private record Decoder(String name, BiFunction<String, byte[], Object> decode,
      Function<Object, byte[]> encode) {}

  private static final List<Decoder> DECODERS = List.of(
      record("node", RecordCodec::decodeNode),
      record("update", RecordCodec::decodeUpdate),
      record("ring", RecordCodec::decodeRingConfig),
      record("schema", RecordCodec::decodeSchema),
      record("facade", RecordCodec::decodeFacade),
      new Decoder("version", RecordCodec::decodeVersion,
          v -> RecordCodec.encodeVersion((Long) v)));

  private static Decoder record(String name, BiFunction<String, byte[], ? extends Message> d) {
    return new Decoder(name, d::apply, m -> RecordCodec.encode((Message) m));
  }

  @Property(tries = 3000)
  void arbitraryBytesDecodeOrFailTyped(@ForAll long seed) {
    Random random = new Random(seed);
    byte[] value = Inputs.bytes(random);
    for (Decoder decoder : DECODERS) {
      decodesOrFailsTyped(decoder, value);
    }
  }

  @Property(tries = 3000)
  void arbitraryJsonDecodesOrFailsTyped(@ForAll long seed) {
    Random random = new Random(seed);
    byte[] value = Inputs.json(random).getBytes(StandardCharsets.UTF_8);
    for (Decoder decoder : DECODERS) {
      decodesOrFailsTyped(decoder, value);
    }
  }

  @Property(tries = 3000)
  void damagedRecordsDecodeOrFailTyped(@ForAll long seed) {
    Random random = new Random(seed);
    Message record = Inputs.record(random);
    byte[] damaged = Inputs.damage(random, RecordCodec.encode(record));
    for (Decoder decoder : DECODERS) {
      decodesOrFailsTyped(decoder, damaged);
    }
  }

  @Test
  @Timeout(60)
  void deeplyNestedJsonIsATypedError() {
    for (int depth : new int[] {100, 1_000, 100_000}) {
      String nested = "{\"labels\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
      for (Decoder decoder : DECODERS) {
        decodesOrFailsTyped(decoder, nested.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Property(tries = 3000)
  void aNodeEventSplicedFromItsNodesEncodingIsTheSameBytes(@ForAll long seed) {
    Random random = new Random(seed);
    NodeInfo node = Inputs.node(random);
    TopologyUpdate.Builder event = TopologyUpdate.newBuilder();
    // Zero versions are left out of the JSON: every combination, and the largest unsigned ones.
    long[] versions = {0, 1, random.nextLong(), -1};
    event.setVersion(versions[random.nextInt(4)]).setPreviousVersion(versions[random.nextInt(4)]);
    TopologyUpdate update = random.nextBoolean() ? event.setNodeAdded(node).build()
        : event.setNodeUpdated(node).build();

    assertArrayEquals(RecordCodec.encode(update),
        RecordCodec.encodeNodeEvent(update, RecordCodec.encode(node)));
  }

  @Property(tries = 3000)
  void validRecordsRoundTrip(@ForAll long seed) {
    Random random = new Random(seed);
    Message record = Inputs.record(random);
    byte[] encoded = RecordCodec.encode(record);
    Message decoded;
    if (record instanceof NodeInfo) {
      decoded = RecordCodec.decodeNode("k", encoded);
    } else if (record instanceof TopologyUpdate) {
      decoded = RecordCodec.decodeUpdate("k", encoded);
    } else if (record instanceof HashRingConfig) {
      decoded = RecordCodec.decodeRingConfig("k", encoded);
    } else if (record instanceof SchemaRecord) {
      decoded = RecordCodec.decodeSchema("k", encoded);
    } else {
      decoded = RecordCodec.decodeFacade("k", encoded);
    }
    assertEquals(record, decoded);
    long version = random.nextLong();
    assertEquals(version, RecordCodec.decodeVersion("k", RecordCodec.encodeVersion(version)));
  }

  private static void decodesOrFailsTyped(Decoder decoder, byte[] value) {
    Object decoded;
    try {
      decoded = decoder.decode().apply("/p/key", value);
    } catch (CorruptRecordException e) {
      assertEquals("/p/key", e.key());
      return;
    } catch (RuntimeException | StackOverflowError e) {
      throw new AssertionError(decoder.name() + " threw " + e + " for "
          + Inputs.show(value), e);
    }
    String text = new String(value, StandardCharsets.UTF_8);
    if (decoder.name().equals("version")) {
      // Canonical decimal only: what decodes is exactly what the encoder writes.
      assertArrayEquals(decoder.encode().apply(decoded), value, Inputs.show(value));
      return;
    }
    assertTrue(text.strip().startsWith("{"), decoder.name() + " decoded a non-object: "
        + Inputs.show(value));
    byte[] again = decoder.encode().apply(decoded);
    assertEquals(decoded, decoder.decode().apply("/p/key", again),
        decoder.name() + " re-encodes to a different record: " + Inputs.show(value));
  }

  /** Generators of record values and of the garbage etcd might hold instead. */
  private static final class Inputs {
    private static final String[] FIELDS = {"id", "address", "port", "state", "type",
        "lastHeartbeatAt", "last_heartbeat_at", "suspectCount", "generationId", "registeredAt",
        "labels", "version", "previousVersion", "nodeAdded", "nodeUpdated", "nodeRemoved",
        "fullSync", "keepalive", "lagged", "hashRingConfigUpdated", "virtualNodesPerPhysical",
        "replicationFactor", "schemaVersion", "writtenBy", "writtenAt", "replicaId", "startedAt",
        "unknown", "", "@type"};
    private static final String JSON_CHARS = "{}[]\":,0\\ ";
    private static final String[] ENUMS = {"NODE_STATE_ACTIVE", "NODE_STATE_DOWN",
        "NODE_TYPE_OBJECT", "NODE_STATE_SOMETHING", "1", "99"};

    static byte[] bytes(Random random) {
      int length = random.nextInt(64);
      byte[] out = new byte[length];
      switch (random.nextInt(3)) {
        case 0 -> random.nextBytes(out);
        case 1 -> {
          for (int i = 0; i < length; i++) {
            out[i] = (byte) (32 + random.nextInt(95));
          }
        }
        default -> {
          String digits = Long.toString(random.nextLong()).substring(random.nextInt(2));
          return (random.nextBoolean() ? digits : " " + digits + "\n")
              .getBytes(StandardCharsets.US_ASCII);
        }
      }
      return out;
    }

    static String json(Random random) {
      StringBuilder out = new StringBuilder();
      if (random.nextInt(10) == 0) {
        value(random, out, 3); // any JSON value at the top, not only objects
      } else {
        object(random, out, 3);
      }
      return out.toString();
    }

    private static void object(Random random, StringBuilder out, int depth) {
      out.append('{');
      int fields = random.nextInt(5);
      for (int i = 0; i < fields; i++) {
        if (i > 0) {
          out.append(',');
        }
        string(random.nextInt(4) == 0 ? text(random) : FIELDS[random.nextInt(FIELDS.length)],
            out);
        out.append(':');
        value(random, out, depth - 1);
      }
      out.append('}');
    }

    private static void value(Random random, StringBuilder out, int depth) {
      switch (random.nextInt(depth > 0 ? 9 : 7)) {
        case 0 -> out.append("null");
        case 1 -> out.append(random.nextBoolean());
        case 2 -> out.append(random.nextInt());
        case 3 -> out.append(random.nextDouble() * Math.pow(10, random.nextInt(40)));
        case 4 -> out.append(random.nextBoolean() ? "18446744073709551616" : "-1");
        case 5 -> string(ENUMS[random.nextInt(ENUMS.length)], out);
        case 6 -> string(text(random), out);
        case 7 -> object(random, out, depth);
        default -> {
          out.append('[');
          int n = random.nextInt(3);
          for (int i = 0; i < n; i++) {
            if (i > 0) {
              out.append(',');
            }
            value(random, out, depth - 1);
          }
          out.append(']');
        }
      }
    }

    private static String text(Random random) {
      StringBuilder s = new StringBuilder();
      int n = random.nextInt(12);
      for (int i = 0; i < n; i++) {
        s.appendCodePoint(switch (random.nextInt(4)) {
          case 0 -> 'a' + random.nextInt(26);
          case 1 -> random.nextInt(32); // control characters
          case 2 -> 0x80 + random.nextInt(0x2000);
          default -> 0x1F600 + random.nextInt(64); // outside the BMP
        });
      }
      return s.toString();
    }

    private static void string(String s, StringBuilder out) {
      out.append('"');
      s.codePoints().forEach(c -> {
        if (c == '"' || c == '\\') {
          out.append('\\').appendCodePoint(c);
        } else if (c < 32) {
          out.append(String.format("\\u%04x", c));
        } else {
          out.appendCodePoint(c);
        }
      });
      out.append('"');
    }

    static Message record(Random random) {
      return switch (random.nextInt(5)) {
        case 0 -> node(random);
        case 1 -> update(random);
        case 2 -> HashRingConfig.newBuilder().setVirtualNodesPerPhysical(random.nextInt())
            .setReplicationFactor(random.nextInt()).build();
        case 3 -> SchemaRecord.newBuilder().setSchemaVersion(random.nextInt())
            .setWrittenBy(text(random)).setWrittenAt(random.nextLong()).build();
        default -> FacadeRecord.newBuilder().setReplicaId(text(random))
            .setAddress(text(random)).setStartedAt(random.nextLong()).build();
      };
    }

    static NodeInfo node(Random random) {
      NodeInfo.Builder node = NodeInfo.newBuilder().setId(text(random))
          .setAddress(text(random)).setPort(random.nextInt())
          .setState(NodeState.forNumber(random.nextInt(6)))
          .setType(NodeType.forNumber(random.nextInt(4)))
          .setLastHeartbeatAt(random.nextLong()).setSuspectCount(random.nextInt())
          .setGenerationId(text(random)).setRegisteredAt(random.nextLong());
      int labels = random.nextInt(4);
      for (int i = 0; i < labels; i++) {
        node.putLabels(text(random), text(random));
      }
      return node.build();
    }

    private static TopologyUpdate update(Random random) {
      TopologyUpdate.Builder update = TopologyUpdate.newBuilder().setVersion(random.nextLong())
          .setPreviousVersion(random.nextLong());
      switch (random.nextInt(5)) {
        case 0 -> update.setNodeAdded(node(random));
        case 1 -> update.setNodeUpdated(node(random));
        case 2 -> update.setNodeRemoved(text(random));
        case 3 -> update.setKeepalive(Keepalive.newBuilder().setServerTime(random.nextLong()));
        default -> update.setHashRingConfigUpdated(HashRingConfig.newBuilder()
            .setReplicationFactor(random.nextInt()));
      }
      return update.build();
    }

    /** A record as a broken writer or a careless hand might leave it. */
    static byte[] damage(Random random, byte[] valid) {
      if (valid.length == 0) {
        return valid;
      }
      byte[] out = valid.clone();
      switch (random.nextInt(4)) {
        case 0 -> {
          return Arrays.copyOf(valid, random.nextInt(valid.length));
        }
        case 1 -> out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        case 2 -> out[random.nextInt(out.length)] = (byte) JSON_CHARS.charAt(
            random.nextInt(JSON_CHARS.length()));
        default -> {
          int at = random.nextInt(out.length);
          byte[] grown = new byte[out.length * 2];
          System.arraycopy(out, 0, grown, 0, at);
          System.arraycopy(out, 0, grown, at, out.length);
          System.arraycopy(out, at, grown, at + out.length, out.length - at);
          return grown;
        }
      }
      return out;
    }

    static String show(byte[] value) {
      String text = new String(value, StandardCharsets.UTF_8);
      return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
  }
}
