package io.gitstratum.coordinator.bench.facade;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FacadeProcessTest {
  @Test
  void mapsTheArchiveBesideTheJarOnlyWhenItExists(@TempDir Path dir) throws Exception {
    Path jar = Files.createFile(dir.resolve("facade.jar"));
    // A flag naming a missing file would switch off even the JDK's own archive.
    assertEquals(List.of(), FacadeProcess.classDataSharing(jar));

    Path archive = Files.createFile(dir.resolve("facade.jsa"));
    assertEquals(List.of("-XX:SharedArchiveFile=" + archive),
        FacadeProcess.classDataSharing(jar));
  }
}
