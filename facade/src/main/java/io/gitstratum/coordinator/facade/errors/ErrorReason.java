package io.gitstratum.coordinator.facade.errors;

/**
 * The stable reasons a request fails with. Each is sent to clients as the {@code reason} of a
 * {@code google.rpc.ErrorInfo} in domain {@code gitstratum.io} (docs/ERRORS.md), so clients act
 * on the reason and never on message text. Names are part of the contract: add, never rename.
 */
public enum ErrorReason {
  /** A request field breaks an input rule; metadata {@code field} names it as a proto path. */
  INVALID_FIELD,
  /** The request bytes are not a valid protobuf encoding of the request message. */
  MALFORMED_REQUEST,
  /** Heartbeat for a node that is not registered: register again. */
  NODE_NOT_FOUND,
  /** The generation id is not the registered one: the caller is a replaced (zombie) process. */
  GENERATION_MISMATCH,
  /** An admin action that the node's state does not allow (confirm DOWN a node not SUSPECT). */
  NODE_STATE,
  /** RegisterNode with an id held by a node of another type. */
  TYPE_CONFLICT,
  /** A request rate limit was reached; a RetryInfo says when to try again. */
  RATE_LIMITED,
  /** A limit on open WatchTopology streams was reached; a RetryInfo says when to try again. */
  WATCHER_LIMIT,
  /** The client's certificate does not allow this call (node-bound authorization). */
  PERMISSION_DENIED,
  /** The client's certificate was revoked after its connection was made. */
  CERTIFICATE_REVOKED,
  /** Mutual TLS is on but the call carries no client certificate. */
  CERTIFICATE_REQUIRED,
  /** etcd could not be reached or did not answer in time; safe to retry. */
  ETCD_UNAVAILABLE,
  /** This replica's topology cache does not follow etcd right now; another replica may serve. */
  REPLICA_NOT_READY,
  /** This replica is shutting down; use another replica. */
  SHUTTING_DOWN,
  /** The topology changed too fast for this write to commit within its attempts; retry. */
  WRITE_CONTENTION,
  /** This replica holds too many writes waiting for etcd; a RetryInfo says when to try again. */
  WRITE_QUEUE_FULL,
  /**
   * This replica takes more heartbeats than etcd renews in time and refused this one early; a
   * RetryInfo says when to try again, or use another replica at once.
   */
  REPLICA_OVERLOADED,
  /** A WatchTopology stream did not take a full_sync in time; reconnect from its last version. */
  STREAM_STALLED,
  /** A record in etcd cannot be decoded; an operator must look at the key named in metadata. */
  CORRUPT_RECORD,
  /** A bug in the facade; never caused by input. */
  INTERNAL
}
