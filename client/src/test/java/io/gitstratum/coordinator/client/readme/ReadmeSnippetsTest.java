package io.gitstratum.coordinator.client.readme;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * client/README.md's Java compiles: each of its java blocks, line by line (indentation aside),
 * is a passage of ReadmeSnippets.java, which the test build compiles against the library.
 */
class ReadmeSnippetsTest {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Pattern JAVA_BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```");

  @Test
  void everyJavaBlockOfTheReadmeIsCompiledSource() throws IOException {
    String readme = Files.readString(MODULE.resolve("README.md"));
    List<String> source = trimmed(Files.readString(MODULE.resolve(
        "src/test/java/io/gitstratum/coordinator/client/readme/ReadmeSnippets.java")));
    Matcher block = JAVA_BLOCK.matcher(readme);
    int blocks = 0;
    while (block.find()) {
      blocks++;
      List<String> lines = trimmed(block.group(1));
      assertTrue(Collections.indexOfSubList(source, lines) >= 0,
          "not in ReadmeSnippets.java as written:\n" + block.group(1));
    }
    assertFalse(blocks == 0, "java blocks in client/README.md");
  }

  private static List<String> trimmed(String text) {
    List<String> lines = new ArrayList<>();
    text.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(lines::add);
    return lines;
  }
}
