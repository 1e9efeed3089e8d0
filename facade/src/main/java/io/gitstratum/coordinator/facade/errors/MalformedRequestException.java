package io.gitstratum.coordinator.facade.errors;

/**
 * The request bytes do not decode as the RPC's request message (not protobuf, truncated,
 * invalid UTF-8 in a string field...), or the call does not carry exactly one request message.
 * Raised before any handler runs.
 */
public final class MalformedRequestException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  /** The bytes of one request message did not decode. */
  public MalformedRequestException(String method, Throwable cause) {
    this(method, "the request is not a valid protobuf encoding of " + method
        + "'s request message", cause);
  }

  /** Any other violation of the call's framing, such as two messages on a unary call. */
  public MalformedRequestException(String method, String problem, Throwable cause) {
    super(ErrorReason.MALFORMED_REQUEST, problem, cause);
  }
}
