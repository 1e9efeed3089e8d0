package io.gitstratum.coordinator.testkit;

import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Test etcd as local processes with fast raft timers and a temporary data dir. */
final class LocalProcessBackend implements EtcdBackend {

  private final LocalEtcdCluster cluster;

  private LocalProcessBackend(LocalEtcdCluster cluster) {
    this.cluster = cluster;
  }

  /**
   * Starts {@code members} members with {@code binary} and blocks until all are healthy.
   *
   * @throws UncheckedIOException when etcd does not start; the message holds the etcd log tail
   */
  static LocalProcessBackend start(int members, Path binary) {
    LocalEtcdCluster.Options options =
        LocalEtcdCluster.Options.builder().members(members).fastTimers(true).binary(binary).build();
    try {
      return new LocalProcessBackend(LocalEtcdCluster.start(options));
    } catch (IOException e) {
      throw new UncheckedIOException("could not start local etcd for tests: " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> endpoints() {
    return cluster.endpoints();
  }

  @Override
  public String metricsUrl() {
    return cluster.member(0).metricsUrl();
  }

  @Override
  public Optional<LocalEtcdCluster> localCluster() {
    return Optional.of(cluster);
  }

  @Override
  public void close() {
    cluster.close();
  }

  @Override
  public String toString() {
    return "local etcd processes " + cluster.endpoints();
  }
}
