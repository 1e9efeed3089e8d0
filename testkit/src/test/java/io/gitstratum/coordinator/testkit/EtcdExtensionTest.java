package io.gitstratum.coordinator.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("etcd")
@Timeout(60)
class EtcdExtensionTest {

  @RegisterExtension static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void endpointIsHealthy() throws Exception {
    List<String> endpoints = etcd.endpoints();
    assertEquals(1, endpoints.size());
    assertEquals(endpoints.get(0), etcd.endpointsCsv());

    HttpResponse<String> health = Http.get(endpoints.get(0) + "/health");

    assertEquals(200, health.statusCode());
    assertTrue(health.body().contains("\"health\":\"true\""), health.body());
  }

  @Test
  void metricsAreServed() throws Exception {
    HttpResponse<String> metrics = Http.get(etcd.metricsUrl());

    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("etcd_server_has_leader 1"));
  }

  @Test
  void localClusterIsExposedWhenRunningAsProcesses() {
    if (etcd.isLocalProcess()) {
      assertEquals(etcd.endpoints(), etcd.cluster().endpoints());
      assertTrue(etcd.cluster().member(0).isRunning());
    }
  }

  /** Nested classes share the outer class's cluster; it must outlive them. */
  @Nested
  class Nested1 {
    @Test
    void sharesTheOuterCluster() throws Exception {
      assertEquals(200, Http.get(etcd.endpoints().get(0) + "/health").statusCode());
    }
  }
}
