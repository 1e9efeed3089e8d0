package io.gitstratum.coordinator.facade.server;

import picocli.CommandLine.Option;

/**
 * The hash ring of a new cluster: written once, by the replica that bootstraps the prefix; an
 * existing cluster keeps the values stored in etcd.
 *
 * @param virtualNodesPerPhysical ring points per object node
 * @param replicationFactor replicas per key
 */
public record RingSettings(int virtualNodesPerPhysical, int replicationFactor) {
  public RingSettings {
    if (virtualNodesPerPhysical < 1 || virtualNodesPerPhysical > 4096) {
      throw new IllegalArgumentException("--virtual-nodes must be 1-4096");
    }
    if (replicationFactor < 1 || replicationFactor > 16) {
      throw new IllegalArgumentException("--replication-factor must be 1-16");
    }
  }

  /** The flags of this concern; defaults live in the annotations only. */
  public static final class Options {
    @Option(names = "--virtual-nodes", defaultValue = "16",
        description = "ring points per object node, for a new cluster (default ${DEFAULT-VALUE})")
    int virtualNodes;

    @Option(names = "--replication-factor", defaultValue = "3",
        description = "replicas per key, for a new cluster (default ${DEFAULT-VALUE})")
    int replicationFactor;

    public RingSettings toSettings() {
      return new RingSettings(virtualNodes, replicationFactor);
    }
  }
}
