package io.gitstratum.coordinator.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@link FaultProxy} in front of each member of an etcd cluster, so a test can cut, slow or
 * reset the facade's path to any member while etcd itself keeps running:
 *
 * <pre>{@code
 * @RegisterExtension static final EtcdExtension etcd = EtcdExtension.threeMembers();
 *
 * try (FaultyEtcd faulty = FaultyEtcd.start(etcd.endpoints())) {
 *   // give the facade faulty.endpoints() instead of etcd.endpoints()
 *   faulty.blackHole(0);
 *   ...
 * }
 * }</pre>
 *
 * <p>Only the client path is proxied: members still talk to each other directly, so raft keeps
 * its quorum while the facade loses a member. Thread-safe; the caller owns the instance and must
 * {@link #close()} it, which closes the proxies but leaves etcd running.
 */
public final class FaultyEtcd implements AutoCloseable {

  private final List<FaultProxy> proxies;
  private final List<String> endpoints;

  private FaultyEtcd(List<FaultProxy> proxies) {
    this.proxies = List.copyOf(proxies);
    this.endpoints = this.proxies.stream().map(FaultProxy::endpoint).toList();
  }

  /**
   * Starts one proxy, in pass mode, per endpoint ({@code http://host:port}).
   *
   * @throws IOException if a proxy cannot listen; the proxies already started are closed
   */
  public static FaultyEtcd start(List<String> memberEndpoints) throws IOException {
    List<FaultProxy> started = new ArrayList<>();
    try {
      for (String endpoint : memberEndpoints) {
        started.add(FaultProxy.forEndpoint(endpoint));
      }
      return new FaultyEtcd(started);
    } catch (IOException | RuntimeException e) {
      started.forEach(FaultProxy::close);
      throw e;
    }
  }

  /** The proxies' endpoints, in the order of the member endpoints given to {@link #start}. */
  public List<String> endpoints() {
    return endpoints;
  }

  /** {@link #endpoints()} joined with commas, as the facade's configuration takes them. */
  public String endpointsCsv() {
    return String.join(",", endpoints);
  }

  /** Number of members (and proxies). */
  public int size() {
    return proxies.size();
  }

  /**
   * The proxy in front of member {@code member} (0-based, in endpoint order).
   *
   * @throws IndexOutOfBoundsException for an unknown member
   */
  public FaultProxy proxy(int member) {
    return proxies.get(member);
  }

  /** Cuts the path to one member without closing it; see {@link FaultProxy#blackHole()}. */
  public void blackHole(int member) {
    proxy(member).blackHole();
  }

  /** Restores the path to one member; held bytes are delivered first. */
  public void pass(int member) {
    proxy(member).pass();
  }

  /** Resets every connection to one member; see {@link FaultProxy#reset()}. */
  public void reset(int member) {
    proxy(member).reset();
  }

  /** Delays every member's responses by {@code delay}; see {@link FaultProxy#delayResponses}. */
  public void delayAll(Duration delay) {
    proxies.forEach(proxy -> proxy.delayResponses(delay));
  }

  /** Puts every proxy back in pass mode. */
  public void passAll() {
    proxies.forEach(FaultProxy::pass);
  }

  /** Closes every proxy (their connections get a TCP RST). Idempotent. */
  @Override
  public void close() {
    proxies.forEach(FaultProxy::close);
  }

  @Override
  public String toString() {
    return "FaultyEtcd" + proxies;
  }
}
