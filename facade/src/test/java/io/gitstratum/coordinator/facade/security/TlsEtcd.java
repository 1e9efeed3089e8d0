package io.gitstratum.coordinator.facade.security;

import io.gitstratum.coordinator.etcdlocal.EtcdBinary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One etcd member on loopback that speaks only TLS on its client port and requires client
 * certificates signed by the test CA ({@code --client-cert-auth}), so that etcd may map a
 * certificate's CN to a user. Started with its own process rather than etcd-local's
 * LocalEtcdCluster, whose readiness probe is plain {@code http://<client port>/health}: here
 * readiness is polled on a separate plain metrics port ({@code --listen-metrics-urls}), which
 * serves {@code /health} too. Closing kills the process.
 */
final class TlsEtcd implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final int clientPort;
  private final Path log;

  private TlsEtcd(Process process, int clientPort, Path log) {
    this.process = process;
    this.clientPort = clientPort;
    this.log = log;
  }

  /** Starts the member with a server certificate from {@code pki}; blocks until healthy. */
  static TlsEtcd start(Path dir, TestPki pki) throws IOException, InterruptedException {
    TestPki.Issued server = pki.server("etcd-server", "etcd");
    int[] ports = freePorts(3);
    String client = "https://127.0.0.1:" + ports[0];
    String peer = "http://127.0.0.1:" + ports[1];
    String metrics = "http://127.0.0.1:" + ports[2];
    List<String> command = new ArrayList<>(List.of(EtcdBinary.require().toString(),
        "--name", "tls0",
        "--data-dir", dir.resolve("etcd-data").toString(),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "tls0=" + peer,
        "--initial-cluster-token", "tls-" + ports[0],
        "--listen-metrics-urls", metrics,
        "--cert-file", server.certificate().toString(),
        "--key-file", server.key().toString(),
        "--trusted-ca-file", pki.caFile().toString(),
        "--client-cert-auth",
        "--heartbeat-interval", "10", "--election-timeout", "100"));
    Path log = dir.resolve("etcd.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    TlsEtcd etcd = new TlsEtcd(process, ports[0], log);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!healthy(metrics + "/health")) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        String output = Files.exists(log) ? Files.readString(log) : "";
        etcd.close();
        throw new IllegalStateException("TLS etcd did not become healthy; log:\n" + output);
      }
      Thread.sleep(50);
    }
    return etcd;
  }

  /** {@code https://127.0.0.1:<client port>}. */
  String endpoint() {
    return "https://127.0.0.1:" + clientPort;
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean healthy(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL()
          .openConnection(Proxy.NO_PROXY);
      c.setConnectTimeout(500);
      c.setReadTimeout(500);
      try (InputStream in = c.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace(" ", "")
            .contains("\"health\":\"true\"");
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket socket = new ServerSocket(0);
        held.add(socket);
        ports[i] = socket.getLocalPort();
      }
    } finally {
      for (ServerSocket socket : held) {
        socket.close();
      }
    }
    return ports;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
