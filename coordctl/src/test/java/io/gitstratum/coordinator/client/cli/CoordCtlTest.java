package io.gitstratum.coordinator.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Flag handling and exit codes that need no facade; every subcommand against a real one is in
 * the facade module's {@code clientit.CoordCtlProcessTest}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CoordCtlTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = CoordCtl.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "topology --bogus | Unknown option: '--bogus'",
      "nonsense | Unmatched argument",
      "topolgy | Did you mean: coordctl topology",
      "register --id x --address h --port 1 --type weird | 'weird' is not a node type",
      "register --id x --address h --port 0 --type object | --port must be 1-65535",
      "--timeout soon topology | 'soon' is not a duration",
      "--endpoints a:b topology | bad --endpoints 'a:b'",
      "drain | Missing required parameter: 'NODE'",
      "watch --since -1 | --since and --max-updates must be >= 0",
      "ring lookup --object-id abc | --object-id needs 64 hex digits",
      "heartbeat n1 | Missing required option: '--generation=<generation>'",
      "heartbeat n1 --generation g --state down | 'down' is not a state a node reports",
      "heartbeat n1 --generation g --every 0s | --every must be > 0",
  })
  void badFlagsExitWith2AndSayWhy(String args, String message) {
    Run run = run(args.trim().split(" +"));
    assertEquals(CoordCtl.USAGE, run.code(), run.err());
    assertTrue(run.err().contains(message), run.err());
    assertTrue(run.err().startsWith("coordctl: "), run.err());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "register --help | Usage: coordctl register",
      "topology --help | Usage: coordctl topology",
      "ring --help | Usage: coordctl ring",
      "ring lookup --help | Usage: coordctl ring lookup",
      "watch -h | Usage: coordctl watch",
      "help register | Usage: coordctl register",
      "help | Commands:",
      "heartbeat --help | Usage: coordctl heartbeat",
  })
  void helpWorksOnEverySubcommandWithoutItsRequiredOptions(String args, String usage) {
    Run run = run(args.trim().split(" +"));
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains(usage), run.out() + run.err());
  }

  @Test
  void noArgumentsPrintsTheUsage() {
    Run run = run();
    assertEquals(CoordCtl.USAGE, run.code());
    assertTrue(run.err().contains("Commands:"), run.err());
  }

  @Test
  void anUnreachableFacadeExitsWith3() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort(); // free once closed: nothing listens there
    }
    Run run = run("--endpoints", "127.0.0.1:" + port, "--timeout", "1s", "topology");
    assertEquals(CoordCtl.UNREACHABLE, run.code(), run.err());
    assertTrue(run.err().startsWith("coordctl: cannot reach the coordinator at 127.0.0.1:"
        + port), run.err());
    assertEquals("", run.out());
  }

  @Test
  void durationsTakeTheFacadesSyntax() {
    CoordCtl.DurationConverter d = new CoordCtl.DurationConverter();
    assertEquals(Duration.ofMillis(500), d.convert("500ms"));
    assertEquals(Duration.ofSeconds(5), d.convert("5s"));
    assertEquals(Duration.ofMinutes(2), d.convert("2m"));
    assertEquals(Duration.ofSeconds(3), d.convert("PT3S"));
    assertThrows(CommandLine.TypeConversionException.class, () -> d.convert("5 parsecs"));
  }

  @Test
  void tablesPadColumns() {
    String table = new Formats.Table("ID", "STATE").row("obj-1", "ACTIVE").row("o", "-")
        .toString();
    assertEquals("ID     STATE\nobj-1  ACTIVE\no      -\n", table);
  }
}
