package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test helper: talks to etcd over HTTP (health endpoint and the v3 JSON gateway that etcd 3.4
 * serves under {@code /v3/}), so these tests need no etcd client library.
 */
final class EtcdHttp {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .proxy(HttpClient.Builder.NO_PROXY)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final Pattern VALUE = Pattern.compile("\"value\":\"([A-Za-z0-9+/=]*)\"");

  private EtcdHttp() {}

  /** True when {@code GET <endpoint>/health} answers {@code "health":"true"}; false on errors. */
  static boolean healthy(String endpoint) {
    try {
      HttpResponse<String> response =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create(endpoint + "/health"))
                  .timeout(REQUEST_TIMEOUT)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("\"health\":\"true\"");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static void put(String endpoint, String key, String value)
      throws IOException, InterruptedException {
    String body = "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}";
    String response = post(endpoint + "/v3/kv/put", body);
    if (!response.contains("\"header\"")) {
      throw new IOException("unexpected put response: " + response);
    }
  }

  static Optional<String> get(String endpoint, String key)
      throws IOException, InterruptedException {
    String response = post(endpoint + "/v3/kv/range", "{\"key\":\"" + b64(key) + "\"}");
    Matcher m = VALUE.matcher(response);
    if (!m.find()) {
      return Optional.empty();
    }
    return Optional.of(new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8));
  }

  static String get(String url) throws IOException, InterruptedException {
    HttpResponse<String> response =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " from " + url);
    }
    return response.body();
  }

  /** Polls {@code condition} every 20 ms until it holds; fails after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static String post(String url, String json) throws IOException, InterruptedException {
    HttpResponse<String> response =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "HTTP " + response.statusCode() + " from " + url + ": " + response.body());
    }
    return response.body();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
