package io.gitstratum.coordinator.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * The logback.xml shipped in coordctl.jar: a class of the user's run on the jar gets INFO and
 * quiet libraries, not logback's unconfigured DEBUG with every HTTP/2 frame.
 */
class LogbackDefaultTest {
  @Test
  void aClassRunOnTheJarLogsAtInfoWithLibrariesAtWarn() throws JoranException {
    URL config = LogbackDefaultTest.class.getClassLoader().getResource("logback.xml");
    assertNotNull(config, "coordctl ships logback.xml");
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(config);
    assertEquals(Level.INFO, context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
    assertEquals(Level.INFO, context.getLogger("com.example.MyRouter").getEffectiveLevel());
    assertEquals(Level.INFO, context.getLogger("io.gitstratum.coordinator.client.topology")
        .getEffectiveLevel());
    for (String library : new String[] {"io.grpc.netty.NettyClientHandler",
        "io.netty.handler.codec.http2", "io.vertx.core", "io.etcd.jetcd"}) {
      assertEquals(Level.WARN, context.getLogger(library).getEffectiveLevel(), library);
    }
    context.stop();
  }
}
