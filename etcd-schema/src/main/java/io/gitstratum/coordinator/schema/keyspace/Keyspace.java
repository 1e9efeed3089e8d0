package io.gitstratum.coordinator.schema.keyspace;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Every etcd key the facade reads or writes, under one prefix {@code <root>/<cluster>/}.
 *
 * <p>This is the only place key strings are built or parsed; KEYSPACE.md documents the layout.
 * Instances are immutable and thread-safe.
 */
public final class Keyspace {
  public static final String DEFAULT_ROOT = "/gitstratum";
  public static final String DEFAULT_CLUSTER = "default";

  /** Event keys carry the version zero-padded to 20 digits so that etcd's byte order is version order. */
  static final int EVENT_DIGITS = 20;

  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final String prefix;

  private Keyspace(String prefix) {
    this.prefix = prefix;
  }

  /**
   * @param root a path such as {@code /gitstratum}: starts with '/', no trailing '/'
   * @param cluster the cluster name, 1-64 chars of {@code [A-Za-z0-9._-]}
   */
  public static Keyspace of(String root, String cluster) {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(cluster, "cluster");
    if (!root.startsWith("/") || root.endsWith("/") || root.contains("//")) {
      throw new IllegalArgumentException(
          "etcd root must start with '/' and not end with '/': " + root);
    }
    if (!CLUSTER_NAME.matcher(cluster).matches()) {
      throw new IllegalArgumentException(
          "cluster name must be 1-64 characters of [A-Za-z0-9._-]: " + cluster);
    }
    return new Keyspace(root + "/" + cluster + "/");
  }

  public static Keyspace defaults() {
    return of(DEFAULT_ROOT, DEFAULT_CLUSTER);
  }

  /** Everything the facade owns; ends with '/'. */
  public String prefix() {
    return prefix;
  }

  public String schema() {
    return prefix + "meta/schema";
  }

  public String version() {
    return prefix + "topology/version";
  }

  /** The id of the transaction that wrote the last topology change (its commit mark). */
  public String commitMark() {
    return prefix + "topology/commit";
  }

  public String ringConfig() {
    return prefix + "topology/ring-config";
  }

  public String nodesPrefix() {
    return prefix + "nodes/";
  }

  public String node(String nodeId) {
    return nodesPrefix() + nodeId;
  }

  public String alivePrefix() {
    return prefix + "alive/";
  }

  public String alive(String nodeId) {
    return alivePrefix() + nodeId;
  }

  public String gracePrefix() {
    return prefix + "grace/";
  }

  public String grace(String nodeId) {
    return gracePrefix() + nodeId;
  }

  public String eventsPrefix() {
    return prefix + "events/";
  }

  public String event(long version) {
    if (version <= 0) {
      throw new IllegalArgumentException("event versions start at 1: " + version);
    }
    String digits = Long.toUnsignedString(version);
    return eventsPrefix() + "0".repeat(EVENT_DIGITS - digits.length()) + digits;
  }

  public String historyPrefix() {
    return prefix + "history/";
  }

  /** Why the change of {@code version} happened: same digits as its event key. */
  public String history(long version) {
    return historyPrefix() + event(version).substring(eventsPrefix().length());
  }

  /** Present while an operator has paused SUSPECT→DOWN. */
  public String detectorPause() {
    return prefix + "detector/pause";
  }

  public String detectorEventsPrefix() {
    return prefix + "detector/events/";
  }

  /**
   * A detector event at {@code atMs}: the time in 20 digits (etcd's byte order is time order),
   * then {@code unique} (8 hex digits) so that two events of one millisecond both stay.
   */
  public String detectorEvent(long atMs, String unique) {
    return detectorEventsBefore(atMs) + "-" + unique;
  }

  /** Every detector event before {@code atMs} sorts before this key (a range end). */
  public String detectorEventsBefore(long atMs) {
    if (atMs < 0) {
      throw new IllegalArgumentException("times start at 0: " + atMs);
    }
    String digits = Long.toString(atMs);
    return detectorEventsPrefix() + "0".repeat(EVENT_DIGITS - digits.length()) + digits;
  }

  /** The election prefix; jetcd's Election adds {@code /<lease id>} per candidate. */
  public String detectorElection() {
    return prefix + "election/detector";
  }

  public String drainedPrefix() {
    return prefix + "drained/";
  }

  public String drained(String nodeId) {
    return drainedPrefix() + nodeId;
  }

  public String facadesPrefix() {
    return prefix + "facades/";
  }

  public String facade(String replicaId) {
    return facadesPrefix() + replicaId;
  }

  /** Classifies a key read back from etcd; keys outside the prefix or unknown give {@link Key.Other}. */
  public Key parse(String key) {
    if (!key.startsWith(prefix)) {
      return new Key.Other(key);
    }
    String rest = key.substring(prefix.length());
    if (rest.equals("topology/version")) {
      return new Key.Version();
    }
    if (rest.equals("topology/commit")) {
      return new Key.CommitMark();
    }
    if (rest.equals("topology/ring-config")) {
      return new Key.RingConfig();
    }
    if (rest.equals("meta/schema")) {
      return new Key.Schema();
    }
    if (rest.equals("detector/pause")) {
      return new Key.DetectorPause();
    }
    return suffix(rest, "nodes/").<Key>map(Key.Node::new)
        .or(() -> suffix(rest, "alive/").map(Key.Alive::new))
        .or(() -> suffix(rest, "grace/").map(Key.Grace::new))
        .or(() -> suffix(rest, "drained/").map(Key.Drained::new))
        .or(() -> suffix(rest, "facades/").map(Key.Facade::new))
        .or(() -> suffix(rest, "events/").flatMap(Keyspace::eventVersion).map(Key.Event::new))
        .or(() -> suffix(rest, "history/").flatMap(Keyspace::eventVersion)
            .map(Key.History::new))
        .or(() -> suffix(rest, "detector/events/")
            .filter(s -> s.length() > EVENT_DIGITS && s.charAt(EVENT_DIGITS) == '-')
            .flatMap(s -> eventVersion(s.substring(0, EVENT_DIGITS)))
            .map(Key.DetectorEvent::new))
        .orElseGet(() -> new Key.Other(key));
  }

  private static Optional<String> suffix(String rest, String folder) {
    if (rest.startsWith(folder) && rest.length() > folder.length()) {
      return Optional.of(rest.substring(folder.length()));
    }
    return Optional.empty();
  }

  private static Optional<Long> eventVersion(String digits) {
    if (digits.length() != EVENT_DIGITS || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseUnsignedLong(digits));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return prefix;
  }
}
