package io.gitstratum.coordinator.facade.config;

import static io.gitstratum.coordinator.facade.config.CommandLines.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.FacadeMain;
import io.gitstratum.coordinator.facade.core.Durations;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FacadeCommandTest {
  @Test
  void etcdEndpointsWithoutASchemeAreTakenAsEtcdctlTakesThem() {
    assertEquals(List.of("http://127.0.0.1:2379", "http://etcd-1:2379"),
        parse("--etcd-endpoints", "127.0.0.1:2379,http://etcd-1:2379").etcd().endpoints());
    assertEquals(List.of("https://etcd-0:2379"),
        parse("--etcd-endpoints", "etcd-0:2379", "--etcd-ca", "ca.pem").etcd().endpoints());
  }

  @Test
  void aVariableNamedAfterTheFlagReplacesItsDefaultAndTheFlagWinsOverBoth() {
    Map<String, String> environment = Map.of("GS_ETCD_TIMEOUT", "5s", "GS_WATCH_QUEUE", "7");
    FacadeConfig fromVariables = parseWith(environment);
    assertEquals(Duration.ofSeconds(5), fromVariables.etcd().timeout());
    assertEquals(7, fromVariables.watch().queueCapacity());
    assertEquals(Duration.ofMillis(1500),
        parseWith(environment, "--etcd-timeout", "1500ms").etcd().timeout());
  }

  @Test
  void theDefaultsAreTheFlagsDefaultsWithNothingFromTheEnvironment() {
    FacadeConfig defaults = FacadeCommand.defaults();
    assertEquals(Duration.ofSeconds(3), defaults.etcd().timeout());
    assertEquals(Duration.ofSeconds(30), defaults.liveness().suspectTimeout());
    assertEquals(Duration.ofSeconds(10), defaults.detector().sessionTtl());
    assertEquals(20_000, defaults.watch().maxSubscribers());
    assertEquals(50, defaults.limits().registrationsPerClient());
    assertEquals(16, defaults.ring().virtualNodesPerPhysical());
    assertEquals(defaults, parseWith(Map.of()).withListen(defaults.listen()));
  }

  @Test
  void helpGroupsTheFlagsByConcernAndNamesTheVariables() {
    StringWriter out = new StringWriter();
    FacadeMain.parse(new String[] {"--help"}, Map.of(), new PrintWriter(out, true),
        new PrintWriter(new StringWriter(), true));
    String help = out.toString();
    for (String heading : List.of("Listening:", "etcd:", "Node liveness:", "Failure detector:",
        "Watch streams:", "Request limits:", "TLS of the gRPC port:")) {
      assertTrue(help.contains(heading), heading + " missing from\n" + help);
    }
    assertTrue(help.contains("GS_ETCD_TIMEOUT"), help);
  }

  @Test
  void aBadValueIsOneLineNamingTheFlag() {
    StringWriter err = new StringWriter();
    FacadeMain.Parsed parsed = FacadeMain.parse(new String[] {"--suspect-timeout", "1500ms"},
        Map.of(), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, parsed.exitCode());
    assertTrue(err.toString().startsWith("error: --suspect-timeout"), err.toString());
  }

  @Test
  void aTimeoutGivenAloneNamesTheOtherFlagsValueInEffect() {
    assertEquals("error: --heartbeat-interval is 10s (given, or its default) and must be shorter "
        + "than --suspect-timeout 5s: give a shorter --heartbeat-interval as well",
        refused("--suspect-timeout", "5s").lines().findFirst().orElseThrow());
    assertEquals("error: --down-timeout is 60s (given, or its default) and must be longer than "
        + "--suspect-timeout 90s: give a longer --down-timeout as well",
        refused("--suspect-timeout", "90s").lines().findFirst().orElseThrow());
  }

  @Test
  void aMistypedFlagGetsADidYouMean() {
    String err = refused("--suspect-timout", "5s");
    assertTrue(err.startsWith("error: Unknown options: '--suspect-timout'"), err);
    assertTrue(err.contains("\ndid you mean --suspect-timeout?\n"), err);
  }

  @Test
  void durationsInMessagesReadAsFlagsAreWritten() {
    assertEquals("10s", Durations.format(Duration.ofSeconds(10)));
    assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
    assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
    assertEquals("60s", Durations.format(Duration.ofMinutes(1)));
    assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
    assertEquals("24h", Durations.format(Duration.ofHours(24)));
  }

  /** What the facade prints for a command line it refuses (exit code 2). */
  private static String refused(String... args) {
    StringWriter err = new StringWriter();
    FacadeMain.Parsed parsed = FacadeMain.parse(args, Map.of(),
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, parsed.exitCode(), err.toString());
    return err.toString();
  }

  private static FacadeConfig parseWith(Map<String, String> environment, String... args) {
    StringWriter err = new StringWriter();
    FacadeMain.Parsed parsed = FacadeMain.parse(args, environment,
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(0, parsed.exitCode(), err.toString());
    return parsed.config();
  }
}
