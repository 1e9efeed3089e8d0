package io.gitstratum.coordinator.client.failover;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.proto.TopologyUpdate;

/**
 * Receives one WatchTopology stream. Calls come one at a time, in stream order, from a gRPC
 * thread; the next message is requested only when {@link #onNext} returns, so a slow observer
 * slows its stream (and eventually gets {@code lagged}) instead of buffering without bound.
 * After {@link #onError} or {@link #onCompleted} nothing more arrives. Nothing arrives after the
 * observer's own {@link WatchCall#cancel()}.
 */
public interface WatchObserver {
  void onNext(TopologyUpdate update);

  /** The stream broke; already translated (usually an {@code UnavailableException}). */
  void onError(CoordinatorClientException error);

  /** The server ended the stream without an error. */
  void onCompleted();
}
