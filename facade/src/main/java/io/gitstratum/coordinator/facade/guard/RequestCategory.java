package io.gitstratum.coordinator.facade.guard;

/** The kinds of request that have rate limits of their own. */
public enum RequestCategory {
  REGISTRATIONS("registrations"),
  HEARTBEATS("heartbeats"),
  READS("reads");

  private static final String SERVICE = "gitstratum.CoordinatorService/";

  private final String label;

  RequestCategory(String label) {
    this.label = label;
  }

  /** The name used in error metadata and docs. */
  public String label() {
    return label;
  }

  /**
   * The category of a gRPC method. Everything that is not a write of the coordinator service
   * (its reads, WatchTopology, the health and reflection services) counts as a read.
   */
  public static RequestCategory of(String fullMethodName) {
    return switch (fullMethodName) {
      // gitstratum's legacy writes (AddNode, RemoveNode, SetNodeState) count as registrations.
      case SERVICE + "RegisterNode", SERVICE + "DeregisterNode", SERVICE + "AddNode",
          SERVICE + "RemoveNode", SERVICE + "SetNodeState" -> REGISTRATIONS;
      case SERVICE + "Heartbeat" -> HEARTBEATS;
      default -> READS;
    };
  }

  /** Whether the method opens a long-lived WatchTopology stream. */
  public static boolean isWatch(String fullMethodName) {
    return (SERVICE + "WatchTopology").equals(fullMethodName);
  }
}
