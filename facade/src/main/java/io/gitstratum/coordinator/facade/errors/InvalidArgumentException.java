package io.gitstratum.coordinator.facade.errors;

import java.util.Map;

/** Bad input; names the field (as a proto path such as {@code node.labels}) and the rule broken. */
public final class InvalidArgumentException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String field;

  public InvalidArgumentException(String field, String rule) {
    super(ErrorReason.INVALID_FIELD, field + ": " + rule, null);
    this.field = field;
  }

  public String field() {
    return field;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("field", field);
  }
}
