package io.gitstratum.coordinator.facade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second facade on the same embedded etcd data dir (another deploy/run-local.sh, on other
 * ports as the port error advises) is refused in one line at once, instead of its etcd waiting on
 * etcd's file lock until the health check gives up 30 s later.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EmbeddedEtcdLockTest {
  @Test
  void aDirHeldByAnotherProcessIsRefusedNamingTheFlags(@TempDir Path dir) throws Exception {
    Process holder = new ProcessBuilder(List.of(
        ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), Holder.class.getName(), dir.toString()))
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("held", out.readLine());
      long started = System.nanoTime();
      IOException refused = assertThrows(IOException.class, () -> EmbeddedEtcdLock.acquire(dir));
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "at once");
      assertTrue(refused.getMessage().startsWith("the embedded etcd's data dir "
          + dir.toAbsolutePath() + " is in use by another facade"), refused.getMessage());
      assertTrue(refused.getMessage().contains("--embedded-etcd-dir and --embedded-etcd-port"),
          refused.getMessage());
    } finally {
      holder.destroy();
      holder.waitFor();
    }
    // The holder gone, however it ended, the dir is free again.
    EmbeddedEtcdLock.acquire(dir).close();
  }

  @Test
  void theSameProcessCannotTakeItTwice(@TempDir Path dir) throws IOException {
    try (EmbeddedEtcdLock first = EmbeddedEtcdLock.acquire(dir)) {
      assertThrows(IOException.class, () -> EmbeddedEtcdLock.acquire(dir));
    }
    EmbeddedEtcdLock.acquire(dir).close();
  }

  /** Holds the lock of the dir in args[0] until killed. */
  static final class Holder {
    public static void main(String[] args) throws Exception {
      EmbeddedEtcdLock.acquire(Path.of(args[0]));
      System.out.println("held");
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(1));
    }
  }
}
