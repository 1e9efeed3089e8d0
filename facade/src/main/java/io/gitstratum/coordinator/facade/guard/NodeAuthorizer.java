package io.gitstratum.coordinator.facade.guard;

import io.gitstratum.coordinator.facade.errors.PermissionDeniedException;
import java.util.Set;

/**
 * Node-bound authorization (docs/SECURITY.md): with mutual TLS a client may register, heartbeat
 * and deregister only the node id its certificate names, and identities listed as operators
 * may act on any node. Without mutual TLS there are no identities to bind, and everything is
 * allowed. Reads need no check here: the TLS handshake already demanded a valid certificate.
 * Thread-safe.
 */
public final class NodeAuthorizer {
  private final boolean mutualTls;
  private final Set<String> operators;

  public NodeAuthorizer(boolean mutualTls, Set<String> operators) {
    this.mutualTls = mutualTls;
    this.operators = Set.copyOf(operators);
  }

  public static NodeAuthorizer open() {
    return new NodeAuthorizer(false, Set.of());
  }

  /**
   * Checks that the calling client (the identity of the current gRPC context) may change
   * {@code nodeId}.
   *
   * @throws PermissionDeniedException when it may not
   */
  public void requireMayActOn(String nodeId) {
    if (!mutualTls) {
      return;
    }
    String identity = ClientIdentity.current().certificate().orElse("");
    if (identity.isEmpty() || !(identity.equals(nodeId) || operators.contains(identity))) {
      throw new PermissionDeniedException(nodeId, identity);
    }
  }
}
