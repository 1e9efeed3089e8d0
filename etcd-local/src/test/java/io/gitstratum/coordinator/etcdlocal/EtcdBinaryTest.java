package io.gitstratum.coordinator.etcdlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class EtcdBinaryTest {

  @TempDir Path dir;

  @Test
  void findsExecutableOnPath() throws IOException {
    Path bin = fakeEtcd(dir.resolve("bin"));
    String path = dir.resolve("empty") + File.pathSeparator + bin.getParent();
    assertEquals(Optional.of(bin), EtcdBinary.find(null, path));
  }

  @Test
  void explicitVariableWins() throws IOException {
    Path onPath = fakeEtcd(dir.resolve("a"));
    Path explicit = fakeEtcd(dir.resolve("b"));
    assertEquals(
        Optional.of(explicit),
        EtcdBinary.find(explicit.toString(), onPath.getParent().toString()));
  }

  @Test
  void invalidExplicitVariableDoesNotFallBackToPath() throws IOException {
    Path onPath = fakeEtcd(dir.resolve("a"));
    assertEquals(
        Optional.empty(),
        EtcdBinary.find(dir.resolve("missing/etcd").toString(), onPath.getParent().toString()));
  }

  @Test
  void nonExecutableFileIsIgnored() throws IOException {
    Path bin = Files.createDirectories(dir.resolve("c"));
    Files.writeString(bin.resolve("etcd"), "not executable");
    assertEquals(Optional.empty(), EtcdBinary.find(null, bin.toString()));
    assertEquals(Optional.empty(), EtcdBinary.find(null, null));
  }

  @Test
  void installHintNamesTheDebianPackages() {
    assertTrue(EtcdBinary.INSTALL_HINT.contains("apt-get install -y etcd-server etcd-client"));
    assertTrue(EtcdBinary.INSTALL_HINT.contains(EtcdBinary.ENV_VAR));
  }

  private static Path fakeEtcd(Path directory) throws IOException {
    Files.createDirectories(directory);
    Path file = directory.resolve("etcd");
    Files.writeString(file, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file.toAbsolutePath();
  }
}
