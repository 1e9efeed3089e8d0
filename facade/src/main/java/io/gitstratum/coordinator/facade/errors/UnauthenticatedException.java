package io.gitstratum.coordinator.facade.errors;

/**
 * The caller's credentials are not valid: its client certificate was revoked after the
 * connection was made, or (mutual TLS on) it presented none. It must reconnect with a valid
 * certificate.
 */
public final class UnauthenticatedException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private UnauthenticatedException(ErrorReason reason, String message) {
    super(reason, message, null);
  }

  public static UnauthenticatedException revoked(String subject) {
    return new UnauthenticatedException(ErrorReason.CERTIFICATE_REVOKED,
        "the client certificate " + subject + " has been revoked; reconnect with a valid one");
  }

  public static UnauthenticatedException missing() {
    return new UnauthenticatedException(ErrorReason.CERTIFICATE_REQUIRED,
        "this facade requires a client certificate (mutual TLS)");
  }
}
