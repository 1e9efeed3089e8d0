package io.gitstratum.coordinator.facade.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The facade's JVM flags for a quick start are written out in each of its launchers (a shell
 * script, the image's entrypoint, the benchmark's Java); this keeps them and the README alike.
 */
class StartUpFlagsTest {
  private static final List<String> FLAGS = List.of("-XX:Tier4InvocationThreshold=15000",
      "-XX:Tier4MinInvocationThreshold=2000", "-XX:Tier4CompileThreshold=45000",
      "-XX:Tier4BackEdgeThreshold=120000", "-XX:SharedArchiveFile=");
  private static final List<String> LAUNCHERS = List.of("deploy/run-local.sh", "deploy/Dockerfile",
      "benchmarks/src/main/java/io/gitstratum/coordinator/bench/facade/FacadeProcess.java",
      "README.md");

  @Test
  void everyLauncherStartsTheFacadeWithTheSameFlags() throws IOException {
    Path root = ManifestsTest.repositoryRoot();
    for (String launcher : LAUNCHERS) {
      String text = Files.readString(root.resolve(launcher));
      for (String flag : FLAGS) {
        assertTrue(text.contains(flag), launcher + " lacks " + flag);
      }
    }
  }
}
