package io.gitstratum.coordinator.facade.guard;

import io.grpc.Context;
import java.util.Optional;

/**
 * Who is calling, as far as the transport can tell.
 *
 * @param key what rate limits and stream caps count against: {@code cert:<identity>} for a
 *     client certificate (its node id, or its subject when it names none), else {@code ip:<addr>}
 * @param certificate the identity a verified client certificate names (see
 *     {@code tls.CertificateIdentity}); empty without mutual TLS, and empty string when the
 *     certificate names no node id and has no common name
 */
public record ClientIdentity(String key, Optional<String> certificate) {
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

  /** A mutual-TLS client: {@code name} is what its certificate names, {@code subject} its DN. */
  public static ClientIdentity ofCertificate(String name, String subject) {
    return new ClientIdentity("cert:" + (name.isEmpty() ? subject : name), Optional.of(name));
  }
}
