package io.gitstratum.coordinator.facade.guard;

import io.gitstratum.coordinator.facade.tls.CertificateIdentity;

import io.gitstratum.coordinator.facade.errors.PermissionDeniedException;
import java.util.Set;

/**
 * Node-bound authorization (docs/SECURITY.md): with mutual TLS a client may register, heartbeat
 * and deregister only the node id its certificate names, and operator identities (their own
 * namespace, {@code gitstratum://operator/<name>}) listed in {@code --operators} may act on any
 * node and use the admin service. Without mutual TLS there are no identities to bind, and
 * everything is allowed. Reads need no check here: the TLS handshake already demanded a valid
 * certificate. Thread-safe.
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
    CertificateIdentity identity = caller();
    if (!identity.isNode(nodeId) && !isOperator(identity)) {
      throw new PermissionDeniedException(nodeId, identity.toString());
    }
  }

  /**
   * Checks that the calling client is an operator listed in {@code --operators}.
   *
   * @throws PermissionDeniedException when it is not
   */
  public void requireOperator() {
    if (!mutualTls) {
      return;
    }
    CertificateIdentity identity = caller();
    if (!isOperator(identity)) {
      throw PermissionDeniedException.notOperator(identity.toString());
    }
  }

  private boolean isOperator(CertificateIdentity identity) {
    return identity.kind() == CertificateIdentity.Kind.OPERATOR
        && operators.contains(identity.name());
  }

  private static CertificateIdentity caller() {
    return ClientIdentity.current().certificate()
        .orElse(new CertificateIdentity(CertificateIdentity.Kind.NONE, ""));
  }
}
