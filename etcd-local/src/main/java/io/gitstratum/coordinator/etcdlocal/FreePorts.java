package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks TCP ports that are free on 127.0.0.1 right now. The ports are released before they are
 * returned, so another process can still take one before etcd binds it: callers must be ready to
 * retry on a bind failure (see {@link EtcdStartException#portConflict()}).
 *
 * <p>Also used by tests that start a process on ports of their choosing. Stateless and
 * thread-safe.
 */
public final class FreePorts {

  private FreePorts() {}

  /** {@code count} distinct free ports; all sockets are held at once so none repeats. */
  public static List<Integer> pick(int count) throws IOException {
    InetAddress loopback = InetAddress.getByName(EtcdMemberSpec.HOST);
    List<ServerSocket> sockets = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, loopback);
        sockets.add(socket);
      }
      List<Integer> ports = new ArrayList<>(count);
      for (ServerSocket socket : sockets) {
        ports.add(socket.getLocalPort());
      }
      return List.copyOf(ports);
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /**
   * Whether nothing listens on {@code port} of the loopback address. Binds as etcd does, with
   * SO_REUSEADDR: connections of a process that just stopped (TIME_WAIT) do not count.
   */
  static boolean isFree(int port) throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(InetAddress.getByName(EtcdMemberSpec.HOST),
          port), 1);
      return true;
    } catch (java.net.BindException e) {
      return false;
    }
  }
}
