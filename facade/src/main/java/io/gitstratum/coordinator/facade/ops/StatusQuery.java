package io.gitstratum.coordinator.facade.ops;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which nodes a status page wants to see (pure): a text found in the id, address or a label
 * ({@code key=value}), a state, a type, and one page of the matching nodes in id order.
 * Parsed from {@code /status.json?q=eu-1&state=SUSPECT&type=OBJECT&page=0&size=100}; anything it
 * does not understand is ignored, so a bad link shows every node rather than an error.
 */
public record StatusQuery(String text, Optional<NodeState> state, Optional<NodeType> type,
    int page, int size) {
  public static final int DEFAULT_SIZE = 100;
  public static final int MAX_SIZE = 500;

  public static final StatusQuery ALL = new StatusQuery("", Optional.empty(), Optional.empty(), 0,
      DEFAULT_SIZE);

  /** @param rawQuery the URL's query string, still encoded; null for none */
  public static StatusQuery parse(String rawQuery) {
    Map<String, String> params = new HashMap<>();
    if (rawQuery != null) {
      for (String pair : rawQuery.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          params.put(pair.substring(0, eq),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return new StatusQuery(params.getOrDefault("q", "").trim(),
        enumValue(NodeState.class, "NODE_STATE_", params.get("state")),
        enumValue(NodeType.class, "NODE_TYPE_", params.get("type")),
        Math.max(0, number(params.get("page"), 0)),
        Math.min(MAX_SIZE, Math.max(1, number(params.get("size"), DEFAULT_SIZE))));
  }

  public boolean matches(NodeInfo node) {
    if (state.isPresent() && node.getState() != state.get()) {
      return false;
    }
    if (type.isPresent() && node.getType() != type.get()) {
      return false;
    }
    if (text.isEmpty()) {
      return true;
    }
    String needle = text.toLowerCase(Locale.ROOT);
    if (node.getId().toLowerCase(Locale.ROOT).contains(needle)
        || node.getAddress().toLowerCase(Locale.ROOT).contains(needle)) {
      return true;
    }
    return node.getLabelsMap().entrySet().stream().anyMatch(label ->
        (label.getKey() + "=" + label.getValue()).toLowerCase(Locale.ROOT).contains(needle));
  }

  private static <E extends Enum<E>> Optional<E> enumValue(Class<E> type, String prefix,
      String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String name = value.trim().toUpperCase(Locale.ROOT);
    try {
      return Optional.of(Enum.valueOf(type, name.startsWith(prefix) ? name : prefix + name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static int number(String value, int otherwise) {
    try {
      return value == null ? otherwise : Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }
}
