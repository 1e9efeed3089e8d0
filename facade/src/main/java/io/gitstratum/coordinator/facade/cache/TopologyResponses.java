package io.gitstratum.coordinator.facade.cache;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The topology as a GetTopologyResponse, built once per topology and leader and then shared:
 * GetTopology calls and every stream's full_sync take the same immutable message, so a
 * full_sync waiting for ten thousand streams is one object, not ten thousand copies (each stream
 * still serialises it as it sends). Thread-safe; two threads may build the same one at once.
 */
public final class TopologyResponses {
  private record Built(Topology topology, String leaderId, GetTopologyResponse response) {}

  private final Supplier<String> leaderId;
  private final AtomicReference<Built> last = new AtomicReference<>();

  /** @param leaderId the detector leader's replica id named in each response ("" for none) */
  public TopologyResponses(Supplier<String> leaderId) {
    this.leaderId = leaderId;
  }

  public GetTopologyResponse of(Topology topology) {
    String leader = leaderId.get();
    Built built = last.get();
    // The cache hands out a new Topology object per version: identity is the version check.
    if (built != null && built.topology() == topology && built.leaderId().equals(leader)) {
      return built.response();
    }
    GetTopologyResponse response = topology.toResponse().setLeaderId(leader).build();
    last.set(new Built(topology, leader, response));
    return response;
  }
}
