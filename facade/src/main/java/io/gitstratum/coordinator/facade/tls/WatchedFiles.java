package io.gitstratum.coordinator.facade.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tells whether a set of files changed since the last look, by modification time, size and file
 * identity. File identity catches the atomic replacements of Kubernetes secret volumes (a new
 * directory swapped in by symlink) and of {@code mv new.pem cert.pem}, which may keep the size and,
 * within the file system's time resolution, the modification time. Not thread-safe: one reloader
 * owns it.
 */
final class WatchedFiles {
  private record Stamp(Object fileKey, Instant modified, long size) {}

  private final List<Path> files;
  private List<Stamp> seen;

  WatchedFiles(List<Path> files) {
    this.files = List.copyOf(files);
    this.seen = stamps();
  }

  /** Whether any file differs from the last call (or construction); remembers the new state. */
  boolean changed() {
    List<Stamp> now = stamps();
    if (now.equals(seen)) {
      return false;
    }
    seen = now;
    return true;
  }

  /** Makes the next {@link #changed} answer true: the last change could not be used yet. */
  void forget() {
    seen = List.of();
  }

  private List<Stamp> stamps() {
    List<Stamp> out = new ArrayList<>(files.size());
    for (Path file : files) {
      try {
        // Follows symlinks: the stamp is that of the file the name points at now.
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        Object identity = Objects.requireNonNullElse(a.fileKey(), file.toRealPath().toString());
        out.add(new Stamp(identity, a.lastModifiedTime().toInstant(), a.size()));
      } catch (IOException e) {
        out.add(new Stamp("missing", Instant.EPOCH, -1)); // a file being replaced; the next look sees it
      }
    }
    return out;
  }
}
