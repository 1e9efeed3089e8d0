package io.gitstratum.coordinator.facade.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in the repository's Markdown documents points at a file in the repository
 * (the README once linked the contract outside it).
 */
class DocLinksTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");

  @Test
  void relativeLinksInMarkdownResolveInsideTheRepository() throws IOException {
    List<Path> documents;
    try (Stream<Path> files = Files.walk(ROOT)) {
      documents = files.filter(p -> p.toString().endsWith(".md"))
          .filter(p -> !ROOT.relativize(p).toString().contains("target"))
          .filter(p -> !ROOT.relativize(p).startsWith(".local"))
          .toList();
    }
    assertTrue(documents.size() > 5, "found " + documents);
    List<String> broken = new ArrayList<>();
    for (Path document : documents) {
      Matcher m = LINK.matcher(Files.readString(document));
      while (m.find()) {
        String target = m.group(1);
        if (target.contains("://") || target.startsWith("mailto:")) {
          continue;
        }
        Path resolved = document.getParent().resolve(target).normalize();
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
          broken.add(ROOT.relativize(document) + " -> " + target);
        }
      }
    }
    assertEquals(List.of(), broken);
  }
}
