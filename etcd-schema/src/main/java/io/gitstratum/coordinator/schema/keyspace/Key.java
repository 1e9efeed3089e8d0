package io.gitstratum.coordinator.schema.keyspace;

/** A key under the prefix, as {@link Keyspace#parse} classifies it. */
public sealed interface Key {
  /** {@code P/topology/version}. */
  record Version() implements Key {}

  /** {@code P/topology/commit}. */
  record CommitMark() implements Key {}

  /** {@code P/topology/ring-config}. */
  record RingConfig() implements Key {}

  /** {@code P/meta/schema}. */
  record Schema() implements Key {}

  /** {@code P/nodes/<id>}. */
  record Node(String nodeId) implements Key {}

  /** {@code P/alive/<id>}. */
  record Alive(String nodeId) implements Key {}

  /** {@code P/grace/<id>}. */
  record Grace(String nodeId) implements Key {}

  /** {@code P/drained/<id>}: an operator drained the node; it stays DRAINING until it registers. */
  record Drained(String nodeId) implements Key {}

  /** {@code P/facades/<replica>}. */
  record Facade(String replicaId) implements Key {}

  /** {@code P/events/<20 digits>}. */
  record Event(long version) implements Key {}

  /** {@code P/history/<20 digits>}. */
  record History(long version) implements Key {}

  /** {@code P/detector/pause}. */
  record DetectorPause() implements Key {}

  /** {@code P/detector/events/<unix ms>-<unique>}. */
  record DetectorEvent(long atMs) implements Key {}

  /** Anything else (the election keys, or keys outside the prefix). */
  record Other(String key) implements Key {}
}
