package io.gitstratum.coordinator.etcdlocal;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locates the {@code etcd} server executable on this machine.
 *
 * <p>Lookup order: the {@value #ENV_VAR} environment variable (an explicit path wins and is not
 * second-guessed: if it is set but does not name an executable file, nothing is found, so a typo
 * does not silently pick a different etcd from the PATH), else the first {@code etcd} on the
 * {@code PATH}.
 *
 * <p>Stateless and thread-safe; every call looks again (cheap: a few {@code stat} calls).
 */
public final class EtcdBinary {

  /** Environment variable holding an explicit path to the etcd executable. */
  public static final String ENV_VAR = "ETCD_BIN";

  /** Name of the executable looked up on the PATH. */
  public static final String EXECUTABLE = "etcd";

  /** How to get etcd when it is missing; used in exception messages. */
  public static final String INSTALL_HINT =
      "No etcd executable found (checked $"
          + ENV_VAR
          + " and the PATH). Install etcd: on Debian/Ubuntu run as root"
          + " 'apt-get update && apt-get install -y etcd-server etcd-client'"
          + " (or with sudo: 'sudo apt-get install -y etcd-server etcd-client'),"
          + " or set "
          + ENV_VAR
          + "=/path/to/etcd.";

  private static final Logger LOG = LoggerFactory.getLogger(EtcdBinary.class);

  private EtcdBinary() {}

  /** Finds etcd using the real environment; empty when there is none. Never throws. */
  public static Optional<Path> find() {
    return find(System.getenv(ENV_VAR), System.getenv("PATH"));
  }

  /**
   * Like {@link #find()} but fails with a message that explains how to install etcd.
   *
   * @throws FileNotFoundException when no etcd executable is found
   */
  public static Path require() throws IOException {
    return find().orElseThrow(() -> new FileNotFoundException(INSTALL_HINT));
  }

  /** Lookup with explicit inputs (either may be null), so tests need not mutate the environment. */
  static Optional<Path> find(String envValue, String pathValue) {
    if (envValue != null && !envValue.isBlank()) {
      Optional<Path> explicit = executable(envValue.trim());
      if (explicit.isEmpty()) {
        LOG.warn("{}={} does not name an executable file; ignoring it", ENV_VAR, envValue);
      }
      return explicit;
    }
    if (pathValue == null) {
      return Optional.empty();
    }
    for (String dir : pathValue.split(File.pathSeparator)) {
      if (dir.isBlank()) {
        continue; // an empty PATH entry means "current directory"; never pick etcd from there
      }
      Optional<Path> candidate = executable(dir + File.separator + EXECUTABLE);
      if (candidate.isPresent()) {
        return candidate;
      }
    }
    return Optional.empty();
  }

  private static Optional<Path> executable(String location) {
    try {
      Path path = Path.of(location).toAbsolutePath();
      if (Files.isRegularFile(path) && Files.isExecutable(path)) {
        return Optional.of(path);
      }
    } catch (InvalidPathException e) {
      LOG.debug("Ignoring invalid path {}", location, e);
    }
    return Optional.empty();
  }
}
