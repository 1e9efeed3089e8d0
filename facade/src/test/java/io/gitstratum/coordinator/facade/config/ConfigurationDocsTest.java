package io.gitstratum.coordinator.facade.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;

/**
 * README.md's configuration table and the facade's flags say the same: every flag has a row with
 * its environment variable and its default, and every flag in the table exists. Adding a flag
 * without documenting it fails here.
 */
class ConfigurationDocsTest {
  private static final Pattern FLAG = Pattern.compile("`(--[a-z0-9-]+)`");

  @Test
  void everyFlagIsInTheReadmeTableWithItsVariableAndDefault() throws IOException {
    List<String> rows = tableRows();
    List<String> problems = new ArrayList<>();
    for (Flag option : facadeFlags()) {
      String flag = option.name();
      String row = rows.stream().filter(r -> firstCell(r).contains("`" + flag + "`"))
          .findFirst().orElse(null);
      if (row == null) {
        problems.add(flag + ": no row in README.md's configuration table");
        continue;
      }
      String variable = FacadeCommand.environmentVariable(flag);
      if (!row.contains("`" + variable + "`") && !namesItsGroup(row, variable)) {
        problems.add(flag + ": the row does not name " + variable);
      }
      String value = option.declaredDefault();
      if (value != null && !value.isEmpty() && !row.contains("`" + value + "`")) {
        problems.add(flag + ": the row does not give its default `" + value + "`");
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void everyFlagInTheReadmeTableExists() throws IOException {
    Set<String> flags = new TreeSet<>();
    for (Flag option : facadeFlags()) {
      flags.add(option.name());
    }
    Set<String> unknown = new TreeSet<>();
    for (String row : tableRows()) {
      Matcher m = FLAG.matcher(firstCell(row));
      while (m.find()) {
        if (!flags.contains(m.group(1))) {
          unknown.add(m.group(1));
        }
      }
    }
    assertEquals(Set.of(), unknown);
  }

  /** A flag and its default as declared, before picocli reads the environment variable. */
  private record Flag(String name, String declaredDefault) {}

  private static List<Flag> facadeFlags() {
    List<Flag> flags = new ArrayList<>();
    for (OptionSpec option : FacadeCommand.commandLine(new FacadeCommand(), Map.of())
        .getCommandSpec().options()) {
      if (!option.usageHelp() && !option.versionHelp()) {
        flags.add(new Flag(option.longestName(), option.defaultValue()));
      }
    }
    assertTrue(flags.size() > 20, "found only " + flags.size() + " flags");
    return flags;
  }

  /** The flags a row documents: its first cell (the description may mention others). */
  private static String firstCell(String row) {
    return row.substring(0, row.indexOf('|', 1));
  }

  /** A row for several flags may name their variables as one pattern, `GS_RATE_*`. */
  private static boolean namesItsGroup(String row, String variable) {
    Matcher m = Pattern.compile("`(GS_[A-Z0-9_]+_)\\*`").matcher(row);
    while (m.find()) {
      if (variable.startsWith(m.group(1))) {
        return true;
      }
    }
    return false;
  }

  private static List<String> tableRows() throws IOException {
    Path readme = Path.of("..", "README.md");
    List<String> rows = Files.readAllLines(readme).stream()
        .filter(line -> line.startsWith("| `--"))
        .toList();
    assertTrue(rows.size() > 20, "no configuration table in " + readme.toAbsolutePath());
    return rows;
  }
}
