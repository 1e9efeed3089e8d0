package io.gitstratum.coordinator.client.failover;

import io.gitstratum.coordinator.client.errors.UnavailableException;

/**
 * Opens WatchTopology streams. {@link CoordinatorClient} is the real one; tests of stream
 * consumers pass a fake.
 */
@FunctionalInterface
public interface WatchSource {
  /**
   * Opens a stream that starts after {@code sinceVersion} (0: with a full_sync). Does not
   * block on the network.
   *
   * @throws UnavailableException when no endpoint can be tried right now
   */
  WatchCall watchTopology(long sinceVersion, WatchObserver observer);
}
