package io.gitstratum.coordinator.schema.compat;

import io.gitstratum.coordinator.schema.records.SchemaRecord;
import java.util.Optional;

/**
 * Decides whether a facade may use a prefix, from the schema marker found there (pure).
 *
 * <p>Schema versions only grow. A facade refuses a prefix written by a newer schema, because it
 * could misread records it does not know; it writes the marker on a prefix that has none.
 */
public final class SchemaCompatibility {
  /** The layout described in KEYSPACE.md. */
  public static final int CURRENT_VERSION = 1;

  public enum Decision {
    /** No marker: write one (the prefix is new). */
    WRITE_MARKER,
    /** The marker names a schema this facade reads. */
    COMPATIBLE
  }

  private SchemaCompatibility() {}

  /** @throws IncompatibleSchemaException when the prefix was written by a newer schema */
  public static Decision check(String prefix, Optional<SchemaRecord> marker) {
    if (marker.isEmpty()) {
      return Decision.WRITE_MARKER;
    }
    int found = marker.get().getSchemaVersion();
    if (found > CURRENT_VERSION) {
      throw new IncompatibleSchemaException(String.format(
          "etcd prefix %s holds schema version %d (written by %s); this facade knows only up to %d:"
              + " upgrade the facade, or use another --cluster",
          prefix, found, marker.get().getWrittenBy(), CURRENT_VERSION));
    }
    if (found < 1) {
      throw new IncompatibleSchemaException(
          "etcd prefix " + prefix + " holds an invalid schema version " + found);
    }
    return Decision.COMPATIBLE;
  }
}
