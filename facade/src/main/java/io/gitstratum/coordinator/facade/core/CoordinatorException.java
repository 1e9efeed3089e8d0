package io.gitstratum.coordinator.facade.core;

/**
 * The facade's error model: every failure a caller should see is one of these subclasses, and
 * {@code server.StatusMapper} turns each into its gRPC status in one place.
 */
public abstract sealed class CoordinatorException extends RuntimeException
    permits InvalidArgumentException, NodeNotFoundException, GenerationMismatchException,
        TypeConflictException, ResourceExhaustedException, UnavailableException {
  private static final long serialVersionUID = 1L;

  protected CoordinatorException(String message, Throwable cause) {
    super(message, cause);
  }
}
