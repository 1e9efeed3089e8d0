package io.gitstratum.coordinator.facade.core;

/** etcd could not be reached or did not answer within its deadline; the call is safe to retry. */
public final class UnavailableException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  public UnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
