package io.gitstratum.coordinator.bench.measure;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * One scrape of a Prometheus text endpoint (etcd's or a facade's {@code /metrics}), read by
 * metric name and label subset. Immutable.
 */
public final class PromText {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final String body;

  private PromText(String body) {
    this.body = body;
  }

  public static PromText scrape(String url) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(url + " answered " + response.statusCode());
    }
    return new PromText(response.body());
  }

  /**
   * The sum of every sample of {@code name} whose labels include all of {@code labels}; 0 when
   * none matches (a counter that never moved is often not exported yet).
   */
  public double sum(String name, Map<String, String> labels) {
    double total = 0;
    for (String line : body.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#' || !line.startsWith(name)) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String metric = brace > 0 ? line.substring(0, brace) : line.substring(0, space);
      if (!metric.equals(name)) {
        continue;
      }
      String labelText = brace > 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "";
      boolean matches = labels.entrySet().stream()
          .allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (matches) {
        total += Double.parseDouble(line.substring(space + 1).trim());
      }
    }
    return total;
  }

  public double sum(String name) {
    return sum(name, Map.of());
  }
}
