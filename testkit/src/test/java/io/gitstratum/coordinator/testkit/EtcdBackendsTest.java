package io.gitstratum.coordinator.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

@Tag("etcd")
@Timeout(10)
class EtcdBackendsTest {

  @Test
  void withoutEtcdAndDockerFailsWithInstallInstructions() {
    ExtensionConfigurationException e =
        assertThrows(
            ExtensionConfigurationException.class,
            () -> EtcdBackends.start(1, Optional::empty, () -> false));

    assertTrue(e.getMessage().contains("sudo apt-get install -y etcd-server etcd-client"));
    assertTrue(e.getMessage().contains("ETCD_BIN"));
  }

  @Test
  void accessorsOutsideTheLifecycleExplainTheMisuse() {
    EtcdExtension unstarted = EtcdExtension.threeMembers();

    IllegalStateException e = assertThrows(IllegalStateException.class, unstarted::endpoints);

    assertTrue(e.getMessage().contains("@RegisterExtension"));
  }
}
