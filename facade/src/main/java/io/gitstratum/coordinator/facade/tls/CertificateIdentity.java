package io.gitstratum.coordinator.facade.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The identity a client certificate names (docs/SECURITY.md, Identities):
 *
 * <ol>
 *   <li>the node id of a subject alternative name URI {@code gitstratum://node/<id>}, when the
 *       certificate has exactly one such URI;
 *   <li>else the subject's common name (CN);
 *   <li>else nothing (the empty string): such a certificate may only read.
 * </ol>
 *
 * A node's certificate should carry the URI (the CN of node certificates is then free for
 * whatever the PKI wants there); an operator's certificate carries no URI and a CN listed in
 * {@code --operators}. Stateless.
 */
public final class CertificateIdentity {
  /** The SAN URI prefix that names a node id. */
  public static final String NODE_URI_PREFIX = "gitstratum://node/";

  private static final int URI_SAN = 6;

  private CertificateIdentity() {}

  public static String of(X509Certificate certificate) {
    List<String> nodeIds = nodeIds(certificate);
    if (nodeIds.size() == 1) {
      return nodeIds.get(0);
    }
    if (nodeIds.size() > 1) {
      return ""; // ambiguous: bound to no node rather than to an arbitrary one
    }
    return commonName(certificate);
  }

  private static List<String> nodeIds(X509Certificate certificate) {
    List<String> ids = new ArrayList<>();
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return ids;
    }
    if (names == null) {
      return ids;
    }
    for (List<?> name : names) {
      if (name.size() >= 2 && Integer.valueOf(URI_SAN).equals(name.get(0))
          && name.get(1) instanceof String uri && uri.startsWith(NODE_URI_PREFIX)
          && uri.length() > NODE_URI_PREFIX.length()) {
        ids.add(uri.substring(NODE_URI_PREFIX.length()));
      }
    }
    return ids;
  }

  private static String commonName(X509Certificate certificate) {
    try {
      LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName());
      // The most specific CN is the leftmost in the RFC 2253 string: LdapName's highest index.
      for (int i = subject.size() - 1; i >= 0; i--) {
        Rdn rdn = subject.getRdns().get(i);
        if ("CN".equalsIgnoreCase(rdn.getType()) && rdn.getValue() instanceof String cn) {
          return cn;
        }
      }
    } catch (InvalidNameException e) {
      return "";
    }
    return "";
  }
}
