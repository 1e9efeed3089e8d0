package io.gitstratum.coordinator.client.ring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Placement that spreads a key's replicas over distinct values of one node label, such as
 * {@code zone}, so that losing one zone loses at most one replica. An option of this project's
 * client, off unless asked for: it is not gitstratum's placement.
 *
 * <p>The rule, with R the ring's replication factor and the <em>eligible</em> members those that
 * can serve ({@link RingMember#canServe}), for reads and writes alike:
 * <ol>
 *   <li>A member's <em>group</em> is the value of the label on it; members without the label
 *       share one group, the empty value.
 *   <li>With fewer than R eligible members, lookups throw {@link InsufficientNodesException},
 *       as plain placement does.
 *   <li>If the eligible members have fewer than R distinct groups, the replicas are exactly
 *       the plain placement ({@link ConsistentHashRing#replicasFor(byte[])}): no walk can give
 *       every replica a group of its own, so the rule steps aside entirely rather than
 *       half-apply.
 *   <li>Otherwise, walk the ring from the key's position exactly as plain placement does
 *       ({@link ConsistentHashRing#walkFrom}) and take a member only when no member taken
 *       before it is in its group, until R are taken.
 * </ol>
 * So the first replica is always the plain first replica, every replica is in another group,
 * and two clients with the same topology place every key the same way.
 *
 * <p>Immutable and thread-safe; build one per ring and label (the topology watcher caches them).
 */
public final class LabelSpread {
  private final ConsistentHashRing ring;
  private final String label;
  private final Map<String, String> groupOf;
  private final boolean spreads;

  private LabelSpread(ConsistentHashRing ring, String label, Map<String, String> groupOf) {
    this.ring = ring;
    this.label = label;
    this.groupOf = groupOf;
    Set<String> groups = new HashSet<>();
    for (RingMember member : ring.members()) {
      if (member.serving()) {
        groups.add(groupOf.get(member.nodeId()));
      }
    }
    this.spreads = groups.size() >= ring.replicationFactor();
  }

  /**
   * @param ring the ring to place on
   * @param label the label whose values are the groups, e.g. {@code "zone"}
   * @param labelsOf the labels of a member, by node id (an empty map when it has none)
   */
  public static LabelSpread of(ConsistentHashRing ring, String label,
      Function<String, Map<String, String>> labelsOf) {
    Objects.requireNonNull(ring, "ring");
    Objects.requireNonNull(label, "label");
    Map<String, String> groupOf = new HashMap<>();
    for (RingMember member : ring.members()) {
      Map<String, String> labels = labelsOf.apply(member.nodeId());
      groupOf.put(member.nodeId(), labels == null ? "" : labels.getOrDefault(label, ""));
    }
    return new LabelSpread(ring, label, Map.copyOf(groupOf));
  }

  /** The label spread over. */
  public String label() {
    return label;
  }

  /** Whether the serving members have enough distinct groups to spread (rule 3). */
  public boolean spreads() {
    return spreads;
  }

  /** Replicas of a key (UTF-8 bytes of a string key), in placement order. */
  public List<String> replicasFor(String key) {
    return replicasFor(Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8));
  }

  public List<String> replicasFor(byte[] key) {
    return replicasForPosition(RingHashing.keyPosition(key));
  }

  /**
   * Replicas of a ring position by the rule above.
   *
   * @throws InsufficientNodesException with fewer serving members than the replication factor
   */
  public List<String> replicasForPosition(long position) {
    if (!spreads) {
      return ring.replicasForPosition(position);
    }
    int want = ring.replicationFactor();
    List<String> chosen = new ArrayList<>(want);
    Set<String> usedGroups = new HashSet<>();
    ring.walkFrom(position, nodeId -> {
      if (usedGroups.add(groupOf.get(nodeId))) {
        chosen.add(nodeId);
      }
      return chosen.size() < want;
    });
    return Collections.unmodifiableList(chosen);
  }

  @Override
  public String toString() {
    return "LabelSpread{label=" + label + ", spreads=" + spreads + "}";
  }
}
