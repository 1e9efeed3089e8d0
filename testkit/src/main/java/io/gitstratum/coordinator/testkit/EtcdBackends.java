package io.gitstratum.coordinator.testkit;

import io.gitstratum.coordinator.etcdlocal.EtcdBinary;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * Chooses where test etcd comes from: a local etcd binary (fast, members controllable), else
 * Docker containers, else a hard failure. Never a skip: a test that silently does not run must
 * not count as passing.
 */
final class EtcdBackends {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdBackends.class);

  /** Failure message when neither an etcd binary nor Docker is available. */
  static final String NO_ETCD_MESSAGE =
      "Tests need etcd, but no etcd executable was found and Docker is not available. "
          + "Install etcd (Debian/Ubuntu: sudo apt-get install -y etcd-server etcd-client) "
          + "or set "
          + EtcdBinary.ENV_VAR
          + "=/path/to/etcd. (Alternatively, make a Docker engine available to run etcd "
          + "containers.)";

  private EtcdBackends() {}

  /** Starts {@code members} members using the real environment. */
  static EtcdBackend start(int members) {
    return start(members, EtcdBinary::find, EtcdBackends::dockerAvailable);
  }

  /**
   * Starts {@code members} members from the first available source.
   *
   * @throws ExtensionConfigurationException when there is neither etcd nor Docker
   */
  static EtcdBackend start(int members, Supplier<Optional<Path>> binary, BooleanSupplier docker) {
    Optional<Path> local = binary.get();
    if (local.isPresent()) {
      return LocalProcessBackend.start(members, local.get());
    }
    if (docker.getAsBoolean()) {
      LOG.info("No local etcd binary; starting etcd in Docker containers instead");
      return ContainerBackend.start(members);
    }
    throw new ExtensionConfigurationException(NO_ETCD_MESSAGE);
  }

  private static boolean dockerAvailable() {
    try {
      // Returns false (after logging) rather than throwing when there is no Docker engine.
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      LOG.debug("Docker availability check failed", e);
      return false;
    }
  }
}
