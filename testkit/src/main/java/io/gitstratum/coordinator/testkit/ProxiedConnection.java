package io.gitstratum.coordinator.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.locks.Condition;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection accepted by a {@link FaultProxy}, its socket to the target, and the two
 * {@link Pipe}s between them.
 *
 * <p>Life cycle: a short-lived thread connects to the target (after any black hole ends), then
 * the pipes run until both directions have seen end of stream (graceful close) or either fails,
 * or the proxy stops the connection (reset and close, abrupt). Every end funnels through
 * {@link #stopLocked()}, after which no byte is delivered, whatever thread is still running.
 */
final class ProxiedConnection implements Pipe.Owner {

  private static final Logger LOG = LoggerFactory.getLogger(ProxiedConnection.class);

  /** Loopback targets answer or refuse at once; this only bounds a pathological case. */
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final String name;
  private final Socket client;
  private final InetSocketAddress target;
  private final ModeSwitch modes;
  private final Consumer<ProxiedConnection> onClosed;

  private Socket upstream; // guarded by modes.lock; set before connecting so a stop can close it
  private Pipe requests; // guarded by modes.lock; null until connected
  private Pipe responses; // guarded by modes.lock; null until connected
  private int drainedPipes; // guarded by modes.lock
  private boolean stopped; // guarded by modes.lock
  private boolean socketsClosed; // guarded by modes.lock

  /** {@code onClosed} is called once, without the lock, after both sockets have been closed. */
  ProxiedConnection(
      String name,
      Socket client,
      InetSocketAddress target,
      ModeSwitch modes,
      Consumer<ProxiedConnection> onClosed) {
    this.name = name;
    this.client = client;
    this.target = target;
    this.modes = modes;
    this.onClosed = onClosed;
  }

  void start() {
    FaultProxy.startDaemon(name + "-connect", this::connect);
  }

  /**
   * Assumes the lock is held. From here on nothing is delivered on this connection; idempotent.
   * The caller then closes the sockets with {@link #abort()}, outside the lock.
   */
  void stopLocked() {
    stopped = true;
    if (requests != null) {
      requests.stopLocked();
      responses.stopLocked();
    }
  }

  /** Assumes the lock is held. */
  long queuedBytesLocked() {
    return requests == null ? 0 : requests.queuedBytesLocked() + responses.queuedBytesLocked();
  }

  /** Stops the connection if needed and closes both sockets with a TCP RST. */
  void abort() {
    modes.lock.lock();
    try {
      stopLocked();
    } finally {
      modes.lock.unlock();
    }
    closeSockets(true);
  }

  @Override
  public void drained(Pipe pipe) {
    modes.lock.lock();
    try {
      drainedPipes++;
      if (drainedPipes < 2) {
        return;
      }
      stopLocked();
    } finally {
      modes.lock.unlock();
    }
    // Both sides have finished sending: an ordinary close, as a direct connection would end.
    closeSockets(false);
  }

  @Override
  public void failed(Pipe pipe, Exception cause) {
    boolean ours;
    modes.lock.lock();
    try {
      ours = stopped; // a failure after a stop is just the socket close we caused
    } finally {
      modes.lock.unlock();
    }
    if (!ours) {
      // A reset on one side becomes a reset on the other, as the peers would see without us.
      LOG.debug("{}: {} failed, resetting the connection", name, pipe, cause);
      abort();
    }
  }

  private void connect() {
    Socket socket = new Socket();
    try {
      if (!awaitNoBlackHole(socket)) {
        return; // whoever stopped us closes the sockets
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      return;
    }

    Pipe up = null;
    Pipe down;
    try {
      socket.setTcpNoDelay(true);
      socket.connect(target, CONNECT_TIMEOUT_MILLIS);
      // gRPC sends small frames (pings, window updates) that must not wait for Nagle.
      client.setTcpNoDelay(true);
      up = new Pipe(name + "-request", client, socket, false, modes, this);
      down = new Pipe(name + "-response", socket, client, true, modes, this);
    } catch (IOException e) {
      // Target down: the client sees a reset, much as a refused connection would look.
      LOG.debug("{}: cannot reach {}", name, target, e);
      if (up != null) {
        stopUnstarted(up);
      }
      abort();
      return;
    }

    modes.lock.lock();
    try {
      if (stopped) {
        up.stopLocked();
        down.stopLocked();
        return;
      }
      requests = up;
      responses = down;
    } finally {
      modes.lock.unlock();
    }
    up.start();
    down.start();
  }

  private void stopUnstarted(Pipe pipe) {
    modes.lock.lock();
    try {
      pipe.stopLocked(); // unregisters its condition, which would otherwise stay in the switch
    } finally {
      modes.lock.unlock();
    }
  }

  /** Registers the target socket, then waits out any black hole; false once stopped. */
  private boolean awaitNoBlackHole(Socket socket) throws InterruptedException {
    Condition modeChanged = modes.register();
    modes.lock.lock();
    try {
      upstream = socket; // from here a stop closes it, which also aborts a pending connect
      // A black hole swallows the handshake too: the target sees this connection once it ends.
      while (!stopped && modes.modeLocked().holds()) {
        modeChanged.await();
      }
      return !stopped;
    } finally {
      modes.unregister(modeChanged);
      modes.lock.unlock();
    }
  }

  /** Closes both sockets the first time it is called, then tells the proxy; later calls do nothing. */
  private void closeSockets(boolean abruptly) {
    Socket target;
    modes.lock.lock();
    try {
      if (socketsClosed) {
        return;
      }
      socketsClosed = true;
      target = upstream;
    } finally {
      modes.lock.unlock();
    }
    for (Socket socket : target == null ? new Socket[] {client} : new Socket[] {client, target}) {
      if (abruptly) {
        closeAbruptly(socket);
      } else {
        closeQuietly(socket);
      }
    }
    onClosed.accept(this);
  }

  private static void closeAbruptly(Socket socket) {
    try {
      // Linger 0 makes close send RST instead of FIN: the peer's next read fails at once.
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // Already closed or never connected; closing below is all that is left to do.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("Closing {} failed", socket, e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
