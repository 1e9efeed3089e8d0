package io.gitstratum.coordinator.testkit;

import io.gitstratum.coordinator.testkit.ModeSwitch.Mode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that injects network faults between a client (the facade) and one
 * target (an etcd member):
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0))) {
 *   Client client = Client.builder().endpoints(proxy.endpoint()).build();
 *   proxy.blackHole();   // requests hang, nothing fails
 *   proxy.pass();        // everything held is delivered, in order
 * }
 * }</pre>
 *
 * <p>It works on bytes, not on HTTP/2 frames, so it suits any TCP protocol. A mode change
 * applies at once to open connections as well as new ones:
 *
 * <ul>
 *   <li>{@link #pass()}: bytes flow both ways as they come.
 *   <li>{@link #delayResponses(Duration)}: bytes from the target reach the client that long after
 *       they reached the proxy, in order; requests are not delayed.
 *   <li>{@link #blackHole()}: nothing moves and nothing is closed, as when a network silently
 *       drops packets. The proxy stops reading, so bytes wait in socket buffers (TCP flow control
 *       bounds them) and arrive in order once the hole ends. Connections accepted meanwhile reach
 *       the target only when it ends.
 *   <li>{@link #reset()}: every open connection is closed with a TCP RST; the proxy then passes.
 * </ul>
 *
 * <p>Thread safety: all methods may be called from any thread. Each connection uses daemon
 * threads named {@code fault-proxy-<port>-c<n>-...} (a reader and a writer per direction) and
 * blocking sockets, which is simple and ample for the few dozen connections of a test. The
 * caller owns the proxy and must {@link #close()} it; closing does not touch the target.
 */
public final class FaultProxy implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final String name;
  private final ModeSwitch modes = new ModeSwitch();

  private final Set<ProxiedConnection> connections = new HashSet<>(); // guarded by modes.lock
  private boolean closed; // guarded by modes.lock

  private FaultProxy(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
    this.name = "fault-proxy-" + server.getLocalPort();
  }

  /**
   * Starts a proxy to {@code target} on a free port of 127.0.0.1, in pass mode.
   *
   * @throws IOException if no port can be bound
   */
  public static FaultProxy start(InetSocketAddress target) throws IOException {
    // 127.0.0.1 literally, not the "loopback address", which may be ::1 on some JVM settings.
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    FaultProxy proxy = new FaultProxy(server, target);
    startDaemon(proxy.name + "-accept", proxy::acceptLoop);
    return proxy;
  }

  /** Starts a proxy to {@code host:port}; see {@link #start(InetSocketAddress)}. */
  public static FaultProxy start(String host, int port) throws IOException {
    return start(new InetSocketAddress(host, port));
  }

  /**
   * Starts a proxy to an etcd client endpoint such as {@code http://127.0.0.1:2379}.
   *
   * @throws IllegalArgumentException if the endpoint has no host or no explicit port
   */
  public static FaultProxy forEndpoint(String endpoint) throws IOException {
    URI uri = URI.create(endpoint);
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException("expected scheme://host:port, got " + endpoint);
    }
    return start(uri.getHost(), uri.getPort());
  }

  /** Where clients connect: {@code http://127.0.0.1:<port>}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port();
  }

  /** The local port the proxy listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** Where the proxy forwards to. */
  public InetSocketAddress target() {
    return target;
  }

  /** Forward bytes both ways as they come; bytes held by an earlier mode go first. */
  public void pass() {
    modes.set(Mode.PASS);
  }

  /**
   * Deliver bytes from the target to the client {@code delay} after they reached the proxy.
   * Bytes already queued wait out the new delay counted from their arrival.
   *
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  public void delayResponses(Duration delay) {
    modes.set(Mode.delayResponses(delay));
  }

  /** Stop moving bytes in both directions, without closing anything, until the mode changes. */
  public void blackHole() {
    modes.set(Mode.BLACK_HOLE);
  }

  /**
   * Closes every open connection with a TCP RST, dropping the bytes it held, and switches to pass
   * mode for the connections that follow. Returns once the sockets are closed.
   */
  public void reset() {
    List<ProxiedConnection> victims = new ArrayList<>();
    modes.lock.lock();
    try {
      // Stop first and switch to pass in the same critical section: otherwise a pipe woken by
      // the switch could deliver black-holed bytes to a connection that is about to be reset.
      for (ProxiedConnection connection : connections) {
        connection.stopLocked();
        victims.add(connection);
      }
      modes.setLocked(Mode.PASS);
    } finally {
      modes.lock.unlock();
    }
    victims.forEach(ProxiedConnection::abort);
  }

  /** Connections accepted and not yet closed, including those waiting to reach the target. */
  public int connectionCount() {
    modes.lock.lock();
    try {
      return connections.size();
    } finally {
      modes.lock.unlock();
    }
  }

  /**
   * Bytes the proxy has read and not yet delivered, over all connections and both directions: a
   * way for tests to wait until a delayed response has reached the proxy. Bytes held back by a
   * black hole are not counted: they wait in the kernel's socket buffers, unread.
   */
  public long queuedBytes() {
    modes.lock.lock();
    try {
      long total = 0;
      for (ProxiedConnection connection : connections) {
        total += connection.queuedBytesLocked();
      }
      return total;
    } finally {
      modes.lock.unlock();
    }
  }

  /** Stops listening and closes every connection with a TCP RST. Idempotent. */
  @Override
  public void close() {
    modes.lock.lock();
    try {
      closed = true;
    } finally {
      modes.lock.unlock();
    }
    try {
      server.close(); // ends the accept loop
    } catch (IOException e) {
      LOG.debug("{}: closing the listening socket failed", name, e);
    }
    reset();
  }

  @Override
  public String toString() {
    return "FaultProxy[127.0.0.1:" + port() + " -> " + target + ", " + modes.mode() + "]";
  }

  /** Starts a daemon thread: a forgotten proxy must never keep a test JVM alive. */
  static void startDaemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void acceptLoop() {
    for (int next = 0; ; next++) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!isClosed()) {
          LOG.warn("{}: accepting connections failed; no new connections will be proxied", name, e);
        }
        return;
      }
      ProxiedConnection connection =
          new ProxiedConnection(name + "-c" + next, client, target, modes, this::forget);
      if (!register(connection)) {
        connection.abort(); // accepted in the instant close() ran
        return;
      }
      connection.start();
    }
  }

  private boolean register(ProxiedConnection connection) {
    modes.lock.lock();
    try {
      return !closed && connections.add(connection);
    } finally {
      modes.lock.unlock();
    }
  }

  private void forget(ProxiedConnection connection) {
    modes.lock.lock();
    try {
      connections.remove(connection);
    } finally {
      modes.lock.unlock();
    }
  }

  private boolean isClosed() {
    modes.lock.lock();
    try {
      return closed;
    } finally {
      modes.lock.unlock();
    }
  }
}
