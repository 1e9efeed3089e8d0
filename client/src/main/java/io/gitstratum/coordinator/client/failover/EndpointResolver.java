package io.gitstratum.coordinator.client.failover;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns endpoint specs into endpoints. A spec is either one address ({@code host:port}, used as
 * given: gRPC resolves the name when it connects) or {@code dns:///name:port}, which stands for
 * every address the name resolves to, each a separate endpoint (a headless Kubernetes service,
 * a round-robin DNS record). Stateless and thread-safe; {@link #resolve} blocks on DNS.
 */
public final class EndpointResolver {
  /** The prefix of a spec that expands to every address of a DNS name. */
  public static final String DNS_PREFIX = "dns:///";

  /** A DNS lookup, replaceable in tests. */
  @FunctionalInterface
  public interface Lookup {
    InetAddress[] allByName(String host) throws UnknownHostException;
  }

  private final Lookup lookup;

  public EndpointResolver() {
    this(InetAddress::getAllByName);
  }

  public EndpointResolver(Lookup lookup) {
    this.lookup = lookup;
  }

  /** Splits a comma-separated list of specs, dropping blanks. */
  public static List<String> splitSpecs(String commaSeparated) {
    List<String> specs = new ArrayList<>();
    for (String part : commaSeparated.split(",")) {
      if (!part.isBlank()) {
        specs.add(part.trim());
      }
    }
    return specs;
  }

  /**
   * Checks the syntax of every spec without touching DNS.
   *
   * @throws IllegalArgumentException naming the first bad spec
   */
  public static void validate(List<String> specs) {
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("no endpoints given");
    }
    for (String spec : specs) {
      Endpoint.parse(spec.startsWith(DNS_PREFIX) ? spec.substring(DNS_PREFIX.length()) : spec);
    }
  }

  /**
   * The endpoints of {@code specs}, in order, without duplicates. A {@code dns:///} name that
   * does not resolve contributes nothing (it may resolve later).
   *
   * @throws IllegalArgumentException on a malformed spec
   */
  public List<Endpoint> resolve(List<String> specs) {
    validate(specs);
    Set<Endpoint> out = new LinkedHashSet<>();
    for (String spec : specs) {
      if (!spec.startsWith(DNS_PREFIX)) {
        out.add(Endpoint.parse(spec));
        continue;
      }
      Endpoint name = Endpoint.parse(spec.substring(DNS_PREFIX.length()));
      try {
        for (InetAddress address : lookup.allByName(name.host())) {
          out.add(new Endpoint(address.getHostAddress(), name.port()));
        }
      } catch (UnknownHostException e) {
        // Left out for now: the pool resolves again when every endpoint it has fails.
      }
    }
    return List.copyOf(out);
  }
}
