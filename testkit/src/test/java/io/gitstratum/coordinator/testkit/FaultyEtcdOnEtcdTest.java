package io.gitstratum.coordinator.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The proxies in front of a real etcd member, driven over etcd's HTTP endpoint (same port as its
 * gRPC API): one kept-alive connection, so every fault hits a connection that is already open.
 */
@Tag("etcd")
@Timeout(30)
class FaultyEtcdOnEtcdTest {

  @RegisterExtension static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final Duration DELAY = Duration.ofMillis(200);

  private final HttpClient http =
      HttpClient.newBuilder()
          .proxy(HttpClient.Builder.NO_PROXY)
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  @Test
  void etcdAnswersThroughTheProxyAndFaultsApplyToTheOpenConnection() throws Exception {
    try (FaultyEtcd faulty = FaultyEtcd.start(etcd.endpoints())) {
      URI health = URI.create(faulty.endpoints().get(0) + "/health");
      assertHealthy(health(health).get(5, TimeUnit.SECONDS));

      faulty.delayAll(DELAY);
      long start = System.nanoTime();
      assertHealthy(health(health).get(5, TimeUnit.SECONDS));
      long took = System.nanoTime() - start;
      assertTrue(took >= DELAY.toNanos(), "not delayed: " + Duration.ofNanos(took));

      faulty.blackHole(0);
      CompletableFuture<HttpResponse<String>> pending = health(health);
      assertThrows(TimeoutException.class, () -> pending.get(300, TimeUnit.MILLISECONDS));
      faulty.passAll();
      assertHealthy(pending.get(5, TimeUnit.SECONDS));
      assertEquals(1, faulty.proxy(0).connectionCount()); // the same connection all along
    }
  }

  private CompletableFuture<HttpResponse<String>> health(URI uri) {
    return http.sendAsync(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertHealthy(HttpResponse<String> response) {
    assertEquals(200, response.statusCode());
    assertTrue(response.body().contains("\"health\":\"true\""), response.body());
  }
}
