package io.gitstratum.coordinator.facade.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The replica's operations port: {@code /metrics} (Prometheus text format), {@code /healthz}
 * (the process serves), {@code /readyz} (the cache follows etcd: 200, else 503), and the status
 * page {@code /status} with its data at {@code /status.json}. Owns its HTTP server and threads.
 */
public final class OpsHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService threads;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param ready whether this replica should receive traffic
   * @param status the status page's data for a query, as JSON
   * @param firstView the page's first view, rendered here (see StatusPage)
   */
  public OpsHttpServer(String host, int port, FacadeMetrics metrics, BooleanSupplier ready,
      Function<StatusQuery, String> status, Supplier<String> firstView) {
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the HTTP port (--http-listen) " + host + ":"
          + port, e);
    }
    threads = Executors.newFixedThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "ops-http");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(threads);
    MetricsHandler scrape = new MetricsHandler(metrics.registry());
    server.createContext("/metrics", exchange -> {
      metrics.withJvmMetrics(); // at the first scrape, not at start
      scrape.handle(exchange);
    });
    server.createContext("/healthz", exchange -> reply(exchange, 200, "text/plain", "ok\n"));
    server.createContext("/readyz", exchange -> {
      boolean ok = ready.getAsBoolean();
      reply(exchange, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not following etcd\n");
    });
    server.createContext("/status.json", exchange -> reply(exchange, 200, "application/json",
        status.apply(StatusQuery.parse(exchange.getRequestURI().getRawQuery()))));
    String page = new String(resource("/status/index.html"), StandardCharsets.UTF_8);
    server.createContext("/status", exchange -> reply(exchange, 200, "text/html; charset=utf-8",
        page.replace(StatusPage.MARKER, firstView.get()).getBytes(StandardCharsets.UTF_8)));
    server.createContext("/", exchange -> {
      if (exchange.getRequestURI().getPath().equals("/")) {
        exchange.getResponseHeaders().add("Location", "/status");
        reply(exchange, 302, "text/plain", "see /status\n");
      } else {
        reply(exchange, 404, "text/plain", "not found\n");
      }
    });
  }

  public OpsHttpServer start() {
    server.start();
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void reply(HttpExchange exchange, int code, String type, String body)
      throws IOException {
    reply(exchange, code, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void reply(HttpExchange exchange, int code, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.getResponseHeaders().add("Cache-Control", "no-store");
    exchange.sendResponseHeaders(code, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static byte[] resource(String path) {
    try (InputStream in = OpsHttpServer.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  /** Closes the port; idempotent. */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
