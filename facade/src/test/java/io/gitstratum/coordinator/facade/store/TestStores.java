package io.gitstratum.coordinator.facade.store;

import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.proto.HashRingConfig;

/** Set-up of a store for component tests that run without a facade. */
public final class TestStores {
  private TestStores() {}

  /**
   * Writes the schema marker and ring configuration, trying again a few times: the first call
   * of a new client also connects, which on a busy machine can outlast a short deadline.
   */
  public static void bootstrap(EtcdTopologyStore store) {
    for (int attempt = 1; ; attempt++) {
      try {
        store.bootstrap("test", HashRingConfig.newBuilder().setVirtualNodesPerPhysical(16)
            .setReplicationFactor(3).build(), System.currentTimeMillis());
        return;
      } catch (UnavailableException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }
}
