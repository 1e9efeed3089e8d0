package io.gitstratum.coordinator.schema.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordCodecTest {
  private static final NodeInfo NODE = NodeInfo.newBuilder().setId("obj-1").setAddress("10.0.0.1")
      .setPort(7000).setType(NodeType.NODE_TYPE_OBJECT).setState(NodeState.NODE_STATE_ACTIVE)
      .setGenerationId("g1").putLabels("zone", "a").setRegisteredAt(1_700_000_000_000L).build();

  @Test
  void nodeRoundTripsAsReadableJson() {
    byte[] bytes = RecordCodec.encode(NODE);
    String json = new String(bytes, StandardCharsets.UTF_8);
    assertTrue(json.contains("\"address\":\"10.0.0.1\""), json);
    assertTrue(json.contains("\"state\":\"NODE_STATE_ACTIVE\""), json);
    assertEquals(NODE, RecordCodec.decodeNode("k", bytes));
  }

  @Test
  void updateRoundTrips() {
    TopologyUpdate update = TopologyUpdate.newBuilder().setVersion(7).setPreviousVersion(6)
        .setNodeRemoved("obj-1").build();
    assertEquals(update, RecordCodec.decodeUpdate("k", RecordCodec.encode(update)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "{", "[]", "{\"port\":\"many\"}", "{\"state\":\"NOPE\"}", "null"})
  void undecodableValuesAreTypedErrors(String value) {
    CorruptRecordException e = assertThrows(CorruptRecordException.class,
        () -> RecordCodec.decodeNode("/p/nodes/x", value.getBytes(StandardCharsets.UTF_8)));
    assertEquals("/p/nodes/x", e.key());
  }

  @Test
  void invalidUtf8IsATypedError() {
    assertThrows(CorruptRecordException.class,
        () -> RecordCodec.decodeNode("k", new byte[] {(byte) 0xC3, (byte) 0x28}));
  }

  @Test
  void versionIsDecimal() {
    assertEquals("18446744073709551615",
        new String(RecordCodec.encodeVersion(-1L), StandardCharsets.US_ASCII));
    assertEquals(42L, RecordCodec.decodeVersion("k", "42".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0L, RecordCodec.decodeVersion("k", "0".getBytes(StandardCharsets.US_ASCII)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-1", "+1", "01", "1.0", "abc", "99999999999999999999999"})
  void badVersionsAreTypedErrors(String value) {
    assertThrows(CorruptRecordException.class,
        () -> RecordCodec.decodeVersion("k", value.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void onlyNodeEventsAreSpliced() {
    TopologyUpdate removed = TopologyUpdate.newBuilder().setVersion(2).setNodeRemoved("a").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RecordCodec.encodeNodeEvent(removed, new byte[] {'{', '}'}));
    assertTrue(e.getMessage().contains("NODE_REMOVED"), e.getMessage());
  }
}
