package io.gitstratum.coordinator.client.ring;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the placement vectors that pin the ring to gitstratum's Rust implementation: a copy of
 * the spec's {@code shared/ring-vectors.json} (computed independently from CONTRACT.md), kept as a
 * test resource so that the tests run from any checkout.
 */
final class RingVectors {

  static final String RESOURCE = "/ring-vectors.json";

  private static JsonObject root;

  private RingVectors() {
  }

  /** The parsed file; loaded once per test JVM. */
  static synchronized JsonObject root() {
    if (root == null) {
      InputStream in = RingVectors.class.getResourceAsStream(RESOURCE);
      if (in == null) {
        throw new IllegalStateException("test resource " + RESOURCE + " is missing");
      }
      try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
        root = JsonParser.parseReader(reader).getAsJsonObject();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
    }
    return root;
  }

  static JsonArray array(JsonObject object, String member) {
    JsonElement element = object.get(member);
    if (element == null || !element.isJsonArray()) {
      throw new IllegalStateException("ring vectors: missing array '" + member + "'");
    }
    return element.getAsJsonArray();
  }

  static List<JsonObject> objects(JsonObject object, String member) {
    List<JsonObject> result = new ArrayList<>();
    for (JsonElement element : array(object, member)) {
      result.add(element.getAsJsonObject());
    }
    if (result.isEmpty()) {
      // An empty section would make its parameterised tests vacuous.
      throw new IllegalStateException("ring vectors: array '" + member + "' is empty");
    }
    return result;
  }

  static List<String> strings(JsonObject object, String member) {
    List<String> result = new ArrayList<>();
    for (JsonElement element : array(object, member)) {
      result.add(element.getAsString());
    }
    return result;
  }

  /** Parses a decimal unsigned 64-bit value as stored in the file. */
  static long unsigned(JsonObject object, String member) {
    JsonElement element = object.get(member);
    if (element == null) {
      throw new IllegalStateException("ring vectors: missing '" + member + "' in " + object);
    }
    return Long.parseUnsignedLong(element.getAsString());
  }

  static JsonObject ring() {
    return root().getAsJsonObject("ring");
  }

  /** The ring described by the "ring" section, built with {@link ConsistentHashRing#of}. */
  static ConsistentHashRing buildRing() {
    JsonObject ring = ring();
    List<RingMember> members = new ArrayList<>();
    for (String nodeId : strings(ring, "nodes")) {
      members.add(new RingMember(nodeId, true));
    }
    return ConsistentHashRing.of(members, ring.get("virtual_nodes_per_physical").getAsInt(),
        ring.get("replication_factor").getAsInt());
  }

  static byte[] hex(String hex) {
    if (hex.length() % 2 != 0) {
      throw new IllegalArgumentException("odd-length hex: " + hex);
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return bytes;
  }
}
