package io.gitstratum.coordinator.facade.guard;

import picocli.CommandLine.Option;

/**
 * Request limits of one replica (docs/SECURITY.md, Limits). Rates are per second; 0 turns a
 * limit off. "Client" means one client identity: the node id or subject of its certificate with
 * mutual TLS, else its IP address.
 *
 * @param registrationsPerClient RegisterNode + DeregisterNode (and the legacy AddNode, RemoveNode,
 *     SetNodeState) per second per client
 * @param heartbeatsPerClient Heartbeat per second per client
 * @param readsPerClient GetTopology, GetHashRing, GetLeader, HealthCheck and WatchTopology
 *     openings per second per client
 * @param registrationsPerReplica the same, for all clients of this replica together
 * @param heartbeatsPerReplica the same, for all clients of this replica together
 * @param readsPerReplica the same, for all clients of this replica together
 * @param watchStreamsPerClient open WatchTopology streams per client
 * @param trackedClients most per-client rate trackers held at once (one per client and
 *     category, about 550 bytes each); the least recently used beyond it are forgotten, so a
 *     flood of addresses cannot grow memory
 * @param maxRequestBytes largest request message accepted; larger ones are refused while being
 *     received
 */
public record LimitSettings(int registrationsPerClient, int heartbeatsPerClient,
    int readsPerClient, int registrationsPerReplica, int heartbeatsPerReplica,
    int readsPerReplica, int watchStreamsPerClient, int trackedClients, int maxRequestBytes) {

  public LimitSettings {
    if (registrationsPerClient < 0 || heartbeatsPerClient < 0 || readsPerClient < 0
        || registrationsPerReplica < 0 || heartbeatsPerReplica < 0 || readsPerReplica < 0
        || watchStreamsPerClient < 0) {
      throw new IllegalArgumentException("rate and stream limits must be >= 0 (0: no limit)");
    }
    if (trackedClients < 1) {
      throw new IllegalArgumentException("--limit-tracked-clients must be >= 1");
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException("--max-request-bytes must be at least 1024");
    }
  }

  /** No rate or stream limit at all (only the request size stays bounded). */
  public static LimitSettings unlimited() {
    return new LimitSettings(0, 0, 0, 0, 0, 0, 0, 20_000, 1 << 20);
  }

  /**
   * The flags of this concern; defaults live in the annotations only. They are generous: a node
   * registers once per process start, heartbeats every 10 s and keeps one watch stream, so it
   * stays orders of magnitude below its own limits; the replica limits are 20-50 times a
   * client's, protecting etcd from a fleet restarting at once.
   */
  public static final class Options {
    @Option(names = "--rate-registrations", defaultValue = "50",
        description = "RegisterNode + DeregisterNode (and gitstratum's legacy AddNode, RemoveNode, "
            + "SetNodeState) per second per client; 0: no limit "
            + "(default ${DEFAULT-VALUE})")
    int registrations;

    @Option(names = "--rate-heartbeats", defaultValue = "200",
        description = "Heartbeats per second per client; 0: no limit (default ${DEFAULT-VALUE})")
    int heartbeats;

    @Option(names = "--rate-reads", defaultValue = "1000",
        description = "reads (GetTopology, GetHashRing, GetLeader, HealthCheck, WatchTopology "
            + "openings) per second per client; 0: no limit (default ${DEFAULT-VALUE})")
    int reads;

    @Option(names = "--replica-rate-registrations", defaultValue = "1000",
        description = "registrations per second for all clients of a replica; 0: no limit "
            + "(default ${DEFAULT-VALUE})")
    int replicaRegistrations;

    @Option(names = "--replica-rate-heartbeats", defaultValue = "10000",
        description = "heartbeats per second for all clients of a replica; 0: no limit "
            + "(default ${DEFAULT-VALUE})")
    int replicaHeartbeats;

    @Option(names = "--replica-rate-reads", defaultValue = "50000",
        description = "reads per second for all clients of a replica; 0: no limit "
            + "(default ${DEFAULT-VALUE})")
    int replicaReads;

    @Option(names = "--max-watch-streams-per-client", defaultValue = "100",
        description = "open WatchTopology streams per client; 0: no limit "
            + "(default ${DEFAULT-VALUE})")
    int watchStreamsPerClient;

    @Option(names = "--limit-tracked-clients", defaultValue = "20000",
        description = "most per-client rate trackers (one per client and category, ~550 bytes "
            + "each) held at once; least recently used are forgotten (default ${DEFAULT-VALUE})")
    int trackedClients;

    @Option(names = "--max-request-bytes", defaultValue = "1048576",
        description = "largest request message accepted (default ${DEFAULT-VALUE})")
    int maxRequestBytes;

    public LimitSettings toSettings() {
      return new LimitSettings(registrations, heartbeats, reads, replicaRegistrations,
          replicaHeartbeats, replicaReads, watchStreamsPerClient, trackedClients,
          maxRequestBytes);
    }
  }
}
