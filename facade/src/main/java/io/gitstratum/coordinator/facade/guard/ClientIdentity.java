package io.gitstratum.coordinator.facade.guard;

import io.gitstratum.coordinator.facade.tls.CertificateIdentity;

import io.grpc.Context;
import java.util.Optional;

/**
 * Who is calling, as far as the transport can tell.
 *
 * @param key what rate limits and stream caps count against: {@code cert:node:<id>} or
 *     {@code cert:operator:<name>} for a client certificate ({@code cert:<subject>} when it names
 *     neither), else {@code ip:<addr>}
 * @param certificate the identity a verified client certificate names; empty without mutual TLS
 */
public record ClientIdentity(String key, Optional<CertificateIdentity> certificate) {
  private static final Context.Key<ClientIdentity> KEY = Context.key("gitstratum-client-identity");

  /** The identity of the call running on this thread; an anonymous one outside any call. */
  public static ClientIdentity current() {
    ClientIdentity identity = KEY.get();
    return identity != null ? identity : new ClientIdentity("unknown", Optional.empty());
  }

  /** {@code context} carrying this identity for the call's handler. */
  public Context attachTo(Context context) {
    return context.withValue(KEY, this);
  }

  public static ClientIdentity ofAddress(String address) {
    return new ClientIdentity("ip:" + address, Optional.empty());
  }

  /** A mutual-TLS client: {@code identity} is what its certificate names, {@code subject} its DN. */
  public static ClientIdentity ofCertificate(CertificateIdentity identity, String subject) {
    return new ClientIdentity("cert:" + (identity.kind() == CertificateIdentity.Kind.NONE
        ? subject : identity.toString()), Optional.of(identity));
  }

  /** How history and logs name the caller: its certificate identity, else its address. */
  public String actor() {
    return certificate.map(CertificateIdentity::toString).orElse(key);
  }
}
