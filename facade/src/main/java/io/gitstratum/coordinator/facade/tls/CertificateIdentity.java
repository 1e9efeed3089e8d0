package io.gitstratum.coordinator.facade.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The identity a client certificate names (docs/SECURITY.md, Identities). Nodes and operators
 * live in separate namespaces, so no node certificate can ever be an operator:
 *
 * <ol>
 *   <li>a node: the id of a subject alternative name URI {@code gitstratum://node/<id>}, when
 *       that is the certificate's only gitstratum URI;
 *   <li>an operator: the name of a URI {@code gitstratum://operator/<name>}, when that is the
 *       certificate's only gitstratum URI; never derived from a common name;
 *   <li>without any gitstratum URI, a node named by the subject's common name (CN);
 *   <li>else nothing: several gitstratum URIs, or no CN. Such a certificate may only read.
 * </ol>
 *
 * @param kind which namespace {@code name} is in
 * @param name the node id or operator name; empty for {@link Kind#NONE}
 */
public record CertificateIdentity(Kind kind, String name) {
  /** The SAN URI prefix that names a node id. */
  public static final String NODE_URI_PREFIX = "gitstratum://node/";
  /** The SAN URI prefix that names an operator. */
  public static final String OPERATOR_URI_PREFIX = "gitstratum://operator/";

  private static final int URI_SAN = 6;
  private static final CertificateIdentity NONE = new CertificateIdentity(Kind.NONE, "");

  public enum Kind { NODE, OPERATOR, NONE }

  public static CertificateIdentity node(String id) {
    return new CertificateIdentity(Kind.NODE, id);
  }

  public static CertificateIdentity operator(String name) {
    return new CertificateIdentity(Kind.OPERATOR, name);
  }

  public static CertificateIdentity of(X509Certificate certificate) {
    List<String> nodes = uris(certificate, NODE_URI_PREFIX);
    List<String> operators = uris(certificate, OPERATOR_URI_PREFIX);
    if (nodes.size() + operators.size() > 1) {
      return NONE; // ambiguous: bound to nothing rather than to an arbitrary one
    }
    if (nodes.size() == 1) {
      return node(nodes.get(0));
    }
    if (operators.size() == 1) {
      return operator(operators.get(0));
    }
    String cn = commonName(certificate);
    return cn.isEmpty() ? NONE : node(cn);
  }

  public boolean isNode(String id) {
    return kind == Kind.NODE && name.equals(id);
  }

  /** How logs and history name it: {@code node:obj-1}, {@code operator:alice}. */
  @Override
  public String toString() {
    return kind == Kind.NONE ? "anonymous" : kind.name().toLowerCase(Locale.ROOT) + ":" + name;
  }

  private static List<String> uris(X509Certificate certificate, String prefix) {
    List<String> found = new ArrayList<>();
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return found;
    }
    if (names == null) {
      return found;
    }
    for (List<?> name : names) {
      if (name.size() >= 2 && Integer.valueOf(URI_SAN).equals(name.get(0))
          && name.get(1) instanceof String uri && uri.startsWith(prefix)
          && uri.length() > prefix.length()) {
        found.add(uri.substring(prefix.length()));
      }
    }
    return found;
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
