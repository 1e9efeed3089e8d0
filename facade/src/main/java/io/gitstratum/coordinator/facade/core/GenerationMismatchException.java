package io.gitstratum.coordinator.facade.core;

/** The request's generation id is not the registered one: it comes from a replaced (zombie) process. */
public final class GenerationMismatchException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  public GenerationMismatchException(String nodeId, String registered, String requested) {
    super("node " + nodeId + " is registered with generation '" + registered
        + "', the request carries '" + requested + "': another process owns this id", null);
  }
}
