package io.gitstratum.coordinator.testkit;

import io.etcd.jetcd.launcher.Etcd;
import io.etcd.jetcd.launcher.EtcdCluster;
import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test etcd in Docker containers through jetcd-launcher (Testcontainers): the fallback for
 * machines with Docker but without an etcd binary. Members cannot be stopped one by one here.
 */
final class ContainerBackend implements EtcdBackend {

  private static final Logger LOG = LoggerFactory.getLogger(ContainerBackend.class);

  /** Same fast raft timers as the local backend, so timing-sensitive tests behave alike. */
  private static final List<String> FAST_TIMERS =
      List.of("--heartbeat-interval", "10", "--election-timeout", "100");

  private final EtcdCluster cluster;
  private final List<String> endpoints;

  private ContainerBackend(EtcdCluster cluster) {
    this.cluster = cluster;
    this.endpoints = cluster.clientEndpoints().stream().map(ContainerBackend::endpoint).toList();
  }

  /** Starts {@code members} etcd containers; blocks until Testcontainers reports them up. */
  static ContainerBackend start(int members) {
    EtcdCluster cluster =
        Etcd.builder()
            .withClusterName("gitstratum-test-" + UUID.randomUUID().toString().substring(0, 8))
            .withNodes(members)
            .withAdditionalArgs(FAST_TIMERS)
            .build();
    try {
      cluster.start();
      ContainerBackend backend = new ContainerBackend(cluster);
      LOG.info("Started etcd in containers: {}", backend.endpoints);
      return backend;
    } catch (RuntimeException e) {
      closeQuietly(cluster);
      throw e;
    }
  }

  @Override
  public List<String> endpoints() {
    return endpoints;
  }

  @Override
  public String metricsUrl() {
    return endpoints.get(0) + "/metrics";
  }

  @Override
  public Optional<LocalEtcdCluster> localCluster() {
    return Optional.empty();
  }

  @Override
  public void close() {
    closeQuietly(cluster);
  }

  @Override
  public String toString() {
    return "etcd containers " + endpoints;
  }

  private static String endpoint(URI uri) {
    String text = uri.toString();
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
  }

  private static void closeQuietly(EtcdCluster cluster) {
    try {
      cluster.close();
    } catch (RuntimeException e) {
      LOG.warn("Failed to stop etcd containers", e);
    }
  }
}
