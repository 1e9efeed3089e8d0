package io.gitstratum.coordinator.facade.core;

/** A rate limit or a subscriber limit was reached. */
public final class ResourceExhaustedException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  public ResourceExhaustedException(String message) {
    super(message, null);
  }
}
