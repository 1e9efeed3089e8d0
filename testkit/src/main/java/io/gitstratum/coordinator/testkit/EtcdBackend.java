package io.gitstratum.coordinator.testkit;

import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import java.util.List;
import java.util.Optional;

/**
 * A running etcd cluster for one test class, wherever it comes from. Implementations are
 * thread-safe for reading; the {@link EtcdExtension} that started a backend closes it.
 */
interface EtcdBackend extends AutoCloseable {

  /** Client endpoints, {@code http://host:port}, in member order. */
  List<String> endpoints();

  /** Prometheus metrics URL of the first member. */
  String metricsUrl();

  /** The local process cluster; empty when members cannot be controlled one by one. */
  Optional<LocalEtcdCluster> localCluster();

  /** Stops all members and frees their resources. Idempotent; never throws. */
  @Override
  void close();
}
