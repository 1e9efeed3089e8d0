package io.gitstratum.coordinator.schema.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.schema.records.DetectorEventRecord;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import io.gitstratum.coordinator.schema.records.SchemaRecord;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Encodes the values stored under the prefix: records as one-line protobuf JSON (readable with
 * {@code etcdctl get}), the topology version as a decimal string.
 *
 * <p>Decoding is strict: unknown fields or enum names are errors, because ignoring them would turn
 * a record from a newer facade into a silently different one. Adding a stored field therefore
 * means a new schema version (see SchemaCompatibility). Stateless and thread-safe.
 */
public final class RecordCodec {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private RecordCodec() {}

  public static byte[] encode(Message record) {
    try {
      return PRINTER.print(record).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields with unknown types fail to print; our records have none.
      throw new IllegalStateException("cannot print " + record.getDescriptorForType().getName(), e);
    }
  }

  /**
   * {@link #encode} of a node_added or node_updated event whose node is encoded already, as
   * {@code node} (by {@link #encode}, for the node's own key): the same bytes, without printing
   * the node a second time, the larger part of encoding a change. JsonFormat prints the set
   * fields in field-number order, and the oneof's node comes after version and previous_version.
   *
   * @throws IllegalArgumentException for an event of another kind
   */
  public static byte[] encodeNodeEvent(TopologyUpdate event, byte[] node) {
    String field = switch (event.getUpdateCase()) {
      case NODE_ADDED -> "nodeAdded";
      case NODE_UPDATED -> "nodeUpdated";
      default -> throw new IllegalArgumentException("not a node event: " + event.getUpdateCase());
    };
    StringBuilder head = new StringBuilder(64).append('{');
    if (event.getVersion() != 0) {
      head.append("\"version\":\"").append(Long.toUnsignedString(event.getVersion()))
          .append("\",");
    }
    if (event.getPreviousVersion() != 0) {
      head.append("\"previousVersion\":\"")
          .append(Long.toUnsignedString(event.getPreviousVersion())).append("\",");
    }
    head.append('"').append(field).append("\":");
    byte[] start = head.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[start.length + node.length + 1];
    System.arraycopy(start, 0, out, 0, start.length);
    System.arraycopy(node, 0, out, start.length, node.length);
    out[out.length - 1] = '}';
    return out;
  }

  public static NodeInfo decodeNode(String key, byte[] value) {
    return decode(key, value, NodeInfo.newBuilder());
  }

  public static TopologyUpdate decodeUpdate(String key, byte[] value) {
    return decode(key, value, TopologyUpdate.newBuilder());
  }

  public static HashRingConfig decodeRingConfig(String key, byte[] value) {
    return decode(key, value, HashRingConfig.newBuilder());
  }

  public static SchemaRecord decodeSchema(String key, byte[] value) {
    return decode(key, value, SchemaRecord.newBuilder());
  }

  public static FacadeRecord decodeFacade(String key, byte[] value) {
    return decode(key, value, FacadeRecord.newBuilder());
  }

  public static ChangeRecord decodeChange(String key, byte[] value) {
    return decode(key, value, ChangeRecord.newBuilder());
  }

  public static DetectorPauseRecord decodeDetectorPause(String key, byte[] value) {
    return decode(key, value, DetectorPauseRecord.newBuilder());
  }

  public static DetectorEventRecord decodeDetectorEvent(String key, byte[] value) {
    return decode(key, value, DetectorEventRecord.newBuilder());
  }

  public static byte[] encodeVersion(long version) {
    return Long.toUnsignedString(version).getBytes(StandardCharsets.US_ASCII);
  }

  /** The version key's value: 1-20 ASCII digits, no sign, no padding beyond a lone "0". */
  public static long decodeVersion(String key, byte[] value) {
    String text = new String(value, StandardCharsets.US_ASCII);
    if (text.isEmpty() || text.length() > 20 || !text.chars().allMatch(c -> c >= '0' && c <= '9')
        || (text.length() > 1 && text.charAt(0) == '0')) {
      throw new CorruptRecordException(key, "version is not a decimal number", null);
    }
    try {
      return Long.parseUnsignedLong(text);
    } catch (NumberFormatException e) {
      throw new CorruptRecordException(key, "version out of range", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T decode(String key, byte[] value, Message.Builder builder) {
    String json = utf8(key, value);
    // JsonFormat accepts a bare `null` as an empty message; a record is always a JSON object.
    if (!json.strip().startsWith("{")) {
      throw new CorruptRecordException(key, "not a JSON object", null);
    }
    try {
      PARSER.merge(json, builder);
      // JsonFormat fills map fields (labels) in protobuf's list form; the first encoding or map
      // lookup then adds the map form and keeps both, about 370 bytes more per labelled node for
      // as long as the record is cached. A binary round trip leaves only the map form.
      Message parsed = builder.build();
      return (T) parsed.getParserForType().parseFrom(parsed.toByteString());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // JsonFormat throws unchecked exceptions (e.g. on deep nesting) as well as its checked one.
      throw new CorruptRecordException(key, "not a valid " + builder.getDescriptorForType().getName()
          + " JSON record", e);
    }
  }

  private static String utf8(String key, byte[] value) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value))
          .toString();
    } catch (CharacterCodingException e) {
      throw new CorruptRecordException(key, "not UTF-8", e);
    }
  }
}
