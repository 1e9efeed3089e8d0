package io.gitstratum.coordinator.facade.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.facade.FacadeMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** The facade's command line parsed as FacadeMain parses it, for tests. */
public final class CommandLines {
  private CommandLines() {}

  /** The configuration {@code args} give; fails the test with the facade's error otherwise. */
  public static FacadeConfig parse(String... args) {
    StringWriter err = new StringWriter();
    FacadeMain.Parsed parsed = FacadeMain.parse(args, Map.of(), new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true));
    assertEquals(0, parsed.exitCode(), err.toString());
    return parsed.config();
  }
}
