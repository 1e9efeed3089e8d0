package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One HTTP GET of an etcd {@code /health} endpoint. Uses {@link HttpURLConnection} rather than
 * {@code java.net.http.HttpClient} so that no selector thread outlives the probe.
 *
 * <p>Stateless, thread-safe, blocks at most about twice the timeout.
 */
final class HealthProbe {

  private static final int MAX_BODY_BYTES = 4096;

  private HealthProbe() {}

  /**
   * True when the endpoint answers 200 with {@code "health":"true"}; false on any other answer or
   * I/O failure (connection refused is the normal answer while etcd boots).
   */
  static boolean isHealthy(String healthUrl, Duration timeout) {
    HttpURLConnection connection = null;
    try {
      // NO_PROXY: a proxy configured for the JVM must never see loopback health checks.
      connection = (HttpURLConnection) URI.create(healthUrl).toURL().openConnection(Proxy.NO_PROXY);
      int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      connection.setConnectTimeout(millis);
      connection.setReadTimeout(millis);
      connection.setUseCaches(false);
      if (connection.getResponseCode() != HttpURLConnection.HTTP_OK) {
        return false;
      }
      try (InputStream in = connection.getInputStream()) {
        String body = new String(in.readNBytes(MAX_BODY_BYTES), StandardCharsets.UTF_8);
        // etcd 3.4 sends {"health":"true"}, 3.5 adds a "reason" field; tolerate whitespace.
        return body.replaceAll("\\s", "").contains("\"health\":\"true\"");
      }
    } catch (IOException | RuntimeException e) {
      return false;
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }
}
