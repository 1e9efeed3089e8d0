package io.gitstratum.coordinator.facade.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import org.junit.jupiter.api.Test;

class FacadeLoggingTest {
  @Test
  void aConfigurationFileOnTheClassPathWins() {
    // Tests have logback-test.xml: the set-up in code leaves the context to it.
    LoggerContext context = new LoggerContext();
    assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, new FacadeLogging().configure(context));
    assertEquals(null, context.getLogger("io.gitstratum").getLevel());
  }

  @Test
  void levelsByNameInAnyCaseDefaultToInfo() {
    assertEquals(Level.DEBUG, FacadeLogging.level("debug"));
    assertEquals(Level.WARN, FacadeLogging.level("WARN"));
    assertEquals(Level.INFO, FacadeLogging.level(null));
    assertEquals(Level.INFO, FacadeLogging.level("chatty"));
  }
}
