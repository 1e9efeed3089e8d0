package io.gitstratum.coordinator.facade.core;

/** Bad input; names the field (as a proto path such as {@code node.labels}) and the rule broken. */
public final class InvalidArgumentException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String field;

  public InvalidArgumentException(String field, String rule) {
    super(field + ": " + rule, null);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
