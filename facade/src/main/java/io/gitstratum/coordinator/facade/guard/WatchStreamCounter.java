package io.gitstratum.coordinator.facade.guard;

import io.gitstratum.coordinator.facade.errors.WatcherLimitException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Open WatchTopology streams per client identity, capped. Only clients with open streams have
 * an entry, so memory is bounded by the replica's own stream limit. Thread-safe.
 */
public final class WatchStreamCounter {
  private final int perClient;
  private final ConcurrentMap<String, Integer> open = new ConcurrentHashMap<>();

  /** @param perClient most open streams per client; 0 for no limit */
  public WatchStreamCounter(int perClient) {
    this.perClient = perClient;
  }

  /**
   * Counts one more stream for {@code client}; the caller must {@link #release} it exactly once
   * when the stream ends.
   *
   * @throws WatcherLimitException when the client already has its limit open
   */
  public void acquire(ClientIdentity client) {
    if (perClient == 0) {
      return;
    }
    open.compute(client.key(), (key, count) -> {
      int now = count == null ? 0 : count;
      if (now >= perClient) {
        throw new WatcherLimitException("client", perClient);
      }
      return now + 1;
    });
  }

  public void release(ClientIdentity client) {
    if (perClient == 0) {
      return;
    }
    open.computeIfPresent(client.key(), (key, count) -> count <= 1 ? null : count - 1);
  }

  /** Streams open for {@code client}. */
  public int open(ClientIdentity client) {
    return open.getOrDefault(client.key(), 0);
  }
}
