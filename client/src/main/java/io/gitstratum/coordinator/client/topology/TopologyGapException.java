package io.gitstratum.coordinator.client.topology;

/** An update does not follow the version it is applied to; the holder must resynchronise. */
public final class TopologyGapException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long heldVersion;
  private final long previousVersion;

  public TopologyGapException(long heldVersion, long previousVersion, long version) {
    super("update " + previousVersion + " -> " + version + " does not follow held version "
        + heldVersion);
    this.heldVersion = heldVersion;
    this.previousVersion = previousVersion;
  }

  public long heldVersion() {
    return heldVersion;
  }

  public long previousVersion() {
    return previousVersion;
  }
}
