package io.gitstratum.coordinator.facade;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The embedded etcd's data dir held by one facade at a time. A second etcd on the same dir
 * (another deploy/run-local.sh, even on other ports) blocks on etcd's own file lock without a
 * word until its health check gives up; this lock lets the second facade say so at once. The
 * operating system releases it when the process ends, however it ends.
 */
final class EmbeddedEtcdLock implements AutoCloseable {
  static final String FILE = "facade.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private EmbeddedEtcdLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** @throws IOException naming the dir and the flags that pick another when it is taken */
  static EmbeddedEtcdLock acquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    FileChannel channel = FileChannel.open(dataDir.resolve(FILE), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held in this very process
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new IOException("the embedded etcd's data dir " + dataDir.toAbsolutePath()
          + " is in use by another facade (a deploy/run-local.sh already running?): stop it, "
          + "or give this one a dir and ports of its own with --embedded-etcd-dir and "
          + "--embedded-etcd-port (and --listen, --http-listen)");
    }
    return new EmbeddedEtcdLock(channel, lock);
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
