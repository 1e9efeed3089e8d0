package io.gitstratum.coordinator.facade.it;

import io.gitstratum.coordinator.testkit.EtcdExtension;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh {@link FacadeHarness} and a cluster name of its own for every test method, over the
 * class's shared etcd; closes everything the test started. Register on an instance field.
 */
public final class PerTestFacades implements BeforeEachCallback, AfterEachCallback {
  private final EtcdExtension etcd;
  private FacadeHarness harness;
  private String cluster;

  public PerTestFacades(EtcdExtension etcd) {
    this.etcd = etcd;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    cluster = FacadeHarness.clusterFor(context.getRequiredTestMethod().getName());
    harness = new FacadeHarness(etcd.endpoints());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    harness.close();
  }

  public FacadeHarness harness() {
    return harness;
  }

  /** The test's own cluster name, so tests sharing an etcd do not meet. */
  public String cluster() {
    return cluster;
  }
}
