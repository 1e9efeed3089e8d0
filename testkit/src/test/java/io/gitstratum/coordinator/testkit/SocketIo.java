package io.gitstratum.coordinator.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Test helper: blocking socket reads and writes with timeouts, so no test can hang on I/O. */
final class SocketIo {

  /** Generous: a read that should succeed waits this long before the test fails instead. */
  static final int READ_TIMEOUT_MILLIS = 5_000;

  private SocketIo() {}

  /** A listening socket on 127.0.0.1 standing in for an etcd member. */
  static ServerSocket listen() throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    server.setSoTimeout(READ_TIMEOUT_MILLIS);
    return server;
  }

  static Socket connect(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port);
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    return socket;
  }

  static Socket accept(ServerSocket server) throws IOException {
    Socket socket = server.accept();
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    return socket;
  }

  static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
  }

  /** Reads exactly {@code length} bytes, failing on end of stream or after the read timeout. */
  static String receive(Socket socket, int length) throws IOException {
    byte[] bytes = socket.getInputStream().readNBytes(length);
    assertEquals(length, bytes.length, "stream ended early");
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Waits {@code quiet} for a byte, expecting none: the read must time out, not end or fail. */
  static void assertNothingArrives(Socket socket, Duration quiet) throws IOException {
    socket.setSoTimeout((int) quiet.toMillis());
    try {
      assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read());
    } finally {
      socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    }
  }

  /** The connection must be over: the next read ends the stream or fails with a reset. */
  static void assertConnectionEnded(Socket socket) throws IOException {
    try {
      assertEquals(-1, socket.getInputStream().read(), "expected the connection to end");
    } catch (SocketException expected) {
      // "Connection reset": what SO_LINGER 0 produces.
    }
  }
}
