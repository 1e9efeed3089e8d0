package io.gitstratum.coordinator.etcdlocal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the end of a process log for error messages. Stateless and thread-safe. */
final class LogTail {

  /** Enough for etcd's last dozen or so lines, small enough for an exception message. */
  static final int MAX_BYTES = 6 * 1024;

  private LogTail() {}

  /**
   * The last {@link #MAX_BYTES} bytes of {@code file} written at or after byte {@code fromOffset}
   * (so a restarted member shows only its current run). Never throws: a problem reading the log
   * is reported in the returned text instead.
   */
  static String read(Path file, long fromOffset) {
    if (!Files.exists(file)) {
      return "(no log file " + file + ")";
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      long start = Math.max(Math.max(0, fromOffset), length - MAX_BYTES);
      if (start >= length) {
        return "(log " + file + " is empty)";
      }
      byte[] bytes = new byte[(int) (length - start)];
      raf.seek(start);
      raf.readFully(bytes);
      String text = new String(bytes, StandardCharsets.UTF_8);
      // Drop a partial first line when we cut into the middle of the file.
      int newline = text.indexOf('\n');
      if (start > fromOffset && newline >= 0 && newline < text.length() - 1) {
        text = text.substring(newline + 1);
      }
      return (text.endsWith("\n") ? text : text + "\n") + "(full log: " + file + ")";
    } catch (IOException e) {
      return "(cannot read log " + file + ": " + e + ")";
    }
  }
}
