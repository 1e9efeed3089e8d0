package io.gitstratum.coordinator.facade.errors;

import java.util.Map;

/**
 * The caller's certificate does not allow the call: with mutual TLS a node may register,
 * heartbeat and deregister only the node id its certificate names (operators may do anything),
 * and only operators may use the admin service.
 */
public final class PermissionDeniedException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;
  private final String identity;

  /**
   * @param nodeId the node id the request acts on
   * @param identity the caller's certificate identity ({@code node:<id>},
   *     {@code operator:<name>}), {@code anonymous} when the certificate names none
   */
  public PermissionDeniedException(String nodeId, String identity) {
    this(identity.equals("anonymous")
        ? "this client certificate names no node id, so it may only read; node '" + nodeId
            + "' needs a certificate naming it"
        : "this client certificate belongs to '" + identity + "' and may not act on node '"
            + nodeId + "'", nodeId, identity);
  }

  private PermissionDeniedException(String message, String nodeId, String identity) {
    super(ErrorReason.PERMISSION_DENIED, message, null);
    this.nodeId = nodeId;
    this.identity = identity;
  }

  /** An admin call from a client that is not a listed operator. */
  public static PermissionDeniedException notOperator(String identity) {
    return new PermissionDeniedException("the admin service takes operators only: a client "
        + "certificate with the URI gitstratum://operator/<name> and <name> listed in --operators;"
        + " this one is '" + identity + "'", "", identity);
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId, "identity", identity);
  }
}
