package io.gitstratum.coordinator.etcdlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole-cluster retry when a randomly picked port is taken before etcd binds it. A wrapper
 * script stands in for etcd and fails the way etcd does on a taken port.
 */
@Tag("etcd")
@Timeout(60)
class PortRaceRetryTest {

  @TempDir Path dir;

  @Test
  void startsOnFreshPortsAfterALostRace() throws IOException {
    Path attempts = dir.resolve("attempts");
    // First run fails like a bind race; later runs are the real etcd.
    Path wrapper =
        script(
            "echo run >> '" + attempts + "'\n"
                + "if [ $(wc -l < '" + attempts + "') -eq 1 ]; then\n"
                + "  echo 'listen tcp 127.0.0.1:1: bind: address already in use' >&2; exit 1\n"
                + "fi\n"
                + "exec '" + EtcdBinary.require() + "' \"$@\"\n");

    try (LocalEtcdCluster cluster =
        LocalEtcdCluster.start(
            LocalEtcdCluster.Options.builder().binary(wrapper).fastTimers(true).build())) {
      assertTrue(EtcdHttp.healthy(cluster.member(0).clientEndpoint()));
    }
    assertEquals(2, Files.readAllLines(attempts).size());
  }

  @Test
  void givesUpAfterThreeAttempts() throws IOException {
    Path attempts = dir.resolve("attempts");
    Path wrapper =
        script(
            "echo run >> '" + attempts + "'\n"
                + "echo 'bind: address already in use' >&2; exit 1\n");

    EtcdStartException e =
        assertThrows(
            EtcdStartException.class,
            () ->
                LocalEtcdCluster.start(LocalEtcdCluster.Options.builder().binary(wrapper).build()));

    assertTrue(e.portConflict());
    assertEquals(LocalEtcdCluster.MAX_START_ATTEMPTS, Files.readAllLines(attempts).size());
  }

  private Path script(String body) throws IOException {
    Path file = dir.resolve("fake-etcd");
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    return file;
  }
}
