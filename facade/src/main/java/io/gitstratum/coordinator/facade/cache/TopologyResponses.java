package io.gitstratum.coordinator.facade.cache;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.util.concurrent.UncheckedExecutionException;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The topology as a GetTopologyResponse, built once per topology and leader and then shared:
 * GetTopology calls and every stream's full_sync take the same immutable message, and its
 * encoding is computed once too ({@link #encoded}), so a full_sync sent to ten thousand streams is
 * one object and one byte array, not ten thousand of either. Thread-safe; two threads may build
 * the same message at once, but the encoding of one message is computed by one thread.
 */
public final class TopologyResponses {
  private record Built(Topology topology, String leaderId, GetTopologyResponse response) {}

  /** Encodings of the messages built here; weak keys compare by identity. */
  private final Cache<GetTopologyResponse, byte[]> encodings = CacheBuilder.newBuilder()
      .weakKeys().maximumSize(4).build();
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

  /**
   * The encoding of {@code response}, shared by every caller, if it is a message this class
   * built (the current one, or one still being sent); empty for any other message. The caller
   * must not modify the array.
   */
  public Optional<byte[]> encoded(GetTopologyResponse response) {
    byte[] bytes = encodings.getIfPresent(response);
    if (bytes != null) {
      return Optional.of(bytes);
    }
    Built built = last.get();
    if (built == null || built.response() != response) {
      return Optional.empty();
    }
    try {
      return Optional.of(encodings.get(response, response::toByteArray));
    } catch (ExecutionException | UncheckedExecutionException e) {
      throw new IllegalStateException("cannot encode the topology", e.getCause());
    }
  }
}
