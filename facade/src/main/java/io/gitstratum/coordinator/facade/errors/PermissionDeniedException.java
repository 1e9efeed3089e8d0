package io.gitstratum.coordinator.facade.errors;

import java.util.Map;

/**
 * The caller's certificate does not allow the call: with mutual TLS a node may register,
 * heartbeat and deregister only the node id its certificate names (operators may do anything).
 */
public final class PermissionDeniedException extends CoordinatorException {
  private static final long serialVersionUID = 1L;

  private final String nodeId;
  private final String identity;

  /**
   * @param nodeId the node id the request acts on
   * @param identity the caller's certificate identity, empty when the certificate names none
   */
  public PermissionDeniedException(String nodeId, String identity) {
    super(ErrorReason.PERMISSION_DENIED, identity.isEmpty()
        ? "this client certificate names no node id, so it may only read; node '" + nodeId
            + "' needs a certificate naming it"
        : "this client certificate belongs to '" + identity + "' and may not act on node '"
            + nodeId + "'", null);
    this.nodeId = nodeId;
    this.identity = identity;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("nodeId", nodeId, "identity", identity);
  }
}
