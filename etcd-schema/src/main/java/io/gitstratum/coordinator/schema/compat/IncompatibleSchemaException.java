package io.gitstratum.coordinator.schema.compat;

/** The prefix was written by a schema this facade cannot read; the facade must not start. */
public final class IncompatibleSchemaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IncompatibleSchemaException(String message) {
    super(message);
  }
}
