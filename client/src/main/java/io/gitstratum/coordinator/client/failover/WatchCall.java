package io.gitstratum.coordinator.client.failover;

/** A running WatchTopology stream on one endpoint. Thread-safe. */
public interface WatchCall {
  /** The endpoint ({@code host:port}) the stream runs on. */
  String endpoint();

  /** Ends the stream; the observer gets nothing more. Idempotent. */
  void cancel();

  /**
   * Ends the stream because of a problem with what this endpoint sent (a gap, a broken
   * protocol): like {@link #cancel()}, and the client prefers another endpoint from now on.
   */
  void abandon(String reason);
}
