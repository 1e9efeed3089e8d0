package io.gitstratum.coordinator.testkit;

import static io.gitstratum.coordinator.testkit.SocketIo.accept;
import static io.gitstratum.coordinator.testkit.SocketIo.assertConnectionEnded;
import static io.gitstratum.coordinator.testkit.SocketIo.assertNothingArrives;
import static io.gitstratum.coordinator.testkit.SocketIo.receive;
import static io.gitstratum.coordinator.testkit.SocketIo.send;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy between a plain client socket and a plain server socket standing in for etcd: the
 * test holds both ends, so it can see exactly what crosses the proxy in each direction. (No etcd
 * here: the proxy works on bytes, and this keeps the test fast and independent of an etcd binary.)
 */
@Timeout(10)
class FaultProxyTest {

  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration DELAY = Duration.ofMillis(300);

  private final Deque<Closeable> toClose = new ArrayDeque<>();
  private ServerSocket target;
  private FaultProxy proxy;

  /** One connection through the proxy: the client's socket and the target's end of it. */
  private record Link(Socket client, Socket server) {}

  @BeforeEach
  void start() throws IOException {
    target = track(SocketIo.listen());
    proxy = FaultProxy.start("127.0.0.1", target.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    while (!toClose.isEmpty()) {
      toClose.pop().close();
    }
    // close() must leave no proxy thread behind, however the test left its connections.
    String prefix = "fault-proxy-" + proxy.port() + "-";
    await()
        .pollInterval(Duration.ofMillis(5))
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(thread -> thread.getName().startsWith(prefix)));
  }

  @Test
  void passForwardsBothWaysIncludingHalfClose() throws Exception {
    assertTrue(proxy.endpoint().matches("http://127\\.0\\.0\\.1:" + proxy.port()));
    Link link = connect();

    send(link.client(), "ping");
    assertEquals("ping", receive(link.server(), 4));
    send(link.server(), "pong");
    assertEquals("pong", receive(link.client(), 4));

    // Many chunks' worth, written concurrently so neither side's buffers have to hold it all.
    byte[] payload = new byte[1 << 20];
    new Random(42).nextBytes(payload);
    CompletableFuture<Void> writing =
        CompletableFuture.runAsync(
            () -> {
              try {
                link.client().getOutputStream().write(payload);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    assertArrayEquals(payload, link.server().getInputStream().readNBytes(payload.length));
    writing.get(5, TimeUnit.SECONDS);

    link.client().shutdownOutput();
    assertEquals(-1, link.server().getInputStream().read());
    send(link.server(), "bye"); // the other direction still works after a half-close
    assertEquals("bye", receive(link.client(), 3));
    link.server().shutdownOutput();
    assertEquals(-1, link.client().getInputStream().read());
    await().pollInterval(Duration.ofMillis(5)).until(() -> proxy.connectionCount() == 0);
  }

  @Test
  void delayResponsesDelaysOnlyResponsesAndKeepsTheirOrder() throws Exception {
    Link link = connect();
    proxy.delayResponses(DELAY); // an open connection is affected too

    long requestSent = System.nanoTime();
    send(link.client(), "req");
    assertEquals("req", receive(link.server(), 3));
    long requestTook = System.nanoTime() - requestSent;
    assertTrue(requestTook < DELAY.toNanos(), "request delayed: " + Duration.ofNanos(requestTook));

    long responseSent = System.nanoTime();
    send(link.server(), "resp");
    assertEquals("resp", receive(link.client(), 4));
    long responseTook = System.nanoTime() - responseSent;
    assertTrue(
        responseTook >= DELAY.toNanos(), "response not delayed: " + Duration.ofNanos(responseTook));

    // Bytes queued under the delay must still come before bytes sent after the switch to pass.
    send(link.server(), "a");
    send(link.server(), "b");
    send(link.server(), "c");
    await().pollInterval(Duration.ofMillis(5)).until(() -> proxy.queuedBytes() == 3);
    proxy.pass();
    send(link.server(), "d");
    assertEquals("abcd", receive(link.client(), 4));
  }

  @Test
  void blackHoleHoldsBytesWithoutClosingAndDeliversThemInOrderAfterPass() throws Exception {
    Link link = connect();
    send(link.client(), "hi");
    assertEquals("hi", receive(link.server(), 2));

    proxy.blackHole();
    send(link.client(), "req-1");
    send(link.server(), "resp-1");
    Socket lateClient = track(SocketIo.connect(proxy.port()));
    send(lateClient, "late");

    // Timeouts, not end of stream or reset: the connections stay open while nothing arrives.
    assertNothingArrives(link.server(), QUIET);
    assertNothingArrives(link.client(), Duration.ofMillis(50));
    target.setSoTimeout(50);
    assertThrows(SocketTimeoutException.class, target::accept); // not even the late handshake
    target.setSoTimeout(SocketIo.READ_TIMEOUT_MILLIS);
    assertEquals(2, proxy.connectionCount());

    send(link.client(), "-req-2");
    proxy.pass();

    assertEquals("req-1-req-2", receive(link.server(), 11));
    assertEquals("resp-1", receive(link.client(), 6));
    Socket lateServer = track(accept(target));
    assertEquals("late", receive(lateServer, 4));
    send(lateServer, "ok");
    assertEquals("ok", receive(lateClient, 2));
  }

  @Test
  void resetEndsOpenConnectionsAbruptlyAndThenPasses() throws Exception {
    Link link = connect();
    send(link.client(), "hi");
    assertEquals("hi", receive(link.server(), 2));
    proxy.blackHole();
    send(link.server(), "held, then dropped");

    proxy.reset();

    assertConnectionEnded(link.client()); // the held bytes must not leak out before the reset
    assertConnectionEnded(link.server());
    assertEquals(0, proxy.connectionCount());
    Link fresh = connect(); // reset also ended the black hole
    send(fresh.client(), "again");
    assertEquals("again", receive(fresh.server(), 5));
    send(fresh.server(), "yes");
    assertEquals("yes", receive(fresh.client(), 3));
  }

  private Link connect() throws IOException {
    Socket client = track(SocketIo.connect(proxy.port()));
    Socket server = track(accept(target));
    return new Link(client, server);
  }

  private <T extends Closeable> T track(T resource) {
    toClose.push(resource);
    return resource;
  }
}
