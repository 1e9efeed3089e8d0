package io.gitstratum.coordinator.facade.ops;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.facade.detect.ZoneProtection;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.proto.NodeState;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The status page's first line (pure): healthy, degraded or failing, and what is wrong in words,
 * worst first. Failing: this replica does not follow etcd, or the ring cannot place a key's
 * replicas. Degraded: an etcd member does not answer, no detector leader, nodes SUSPECT or DOWN,
 * SUSPECT→DOWN paused or slowed.
 */
record StatusVerdict(String level, String text) {
  static StatusVerdict of(StatusReport.Snapshot s) {
    List<String> failing = new ArrayList<>();
    List<String> degraded = new ArrayList<>();
    if (!s.synced()) {
      failing.add("this replica does not follow etcd (unreachable, or without quorum?)");
    }
    Placement placement = Placement.of(s.ring());
    if (!placement.placeable()) {
      failing.add("the ring cannot place a key's replicas: " + placement.serving() + " of "
          + placement.members() + " object nodes serve (ACTIVE or DRAINING), "
          + placement.replicationFactor() + " needed");
    }
    List<EtcdMemberHealth.Member> silent = s.etcdMembers().members().stream()
        .filter(m -> !m.answers()).toList();
    if (!silent.isEmpty()) {
      degraded.add(silent.size() + " of " + s.etcdMembers().members().size() + " etcd members "
          + (silent.size() == 1 ? "does" : "do") + " not answer ("
          + silent.stream().map(EtcdMemberHealth.Member::name).collect(Collectors.joining(", "))
          + ")");
    }
    if (s.leader().isEmpty()) {
      degraded.add("no detector leader: nothing turns silent nodes SUSPECT or DOWN");
    }
    int down = s.topology().count(NodeState.NODE_STATE_DOWN);
    int suspect = s.topology().count(NodeState.NODE_STATE_SUSPECT);
    if (down > 0) {
      degraded.add(nodes(down) + " DOWN");
    }
    if (suspect > 0) {
      degraded.add(nodes(suspect) + " SUSPECT");
    }
    s.pause().ifPresent(p -> degraded.add("SUSPECT→DOWN paused by " + p.getBy()));
    ZoneProtection.State protection = s.protection();
    if (protection.paused(s.nowMs())) {
      degraded.add("every zone disrupted: SUSPECT→DOWN paused");
    } else if (protection.protecting()) {
      degraded.add("zone protection in " + protection.zones().stream()
          .map(z -> ZoneProtection.display(z.name())).collect(Collectors.joining(", ")));
    }
    if (!failing.isEmpty()) {
      failing.addAll(degraded);
      return new StatusVerdict("failing", "failing: " + String.join("; ", failing));
    }
    if (!degraded.isEmpty()) {
      return new StatusVerdict("degraded", "degraded: " + String.join("; ", degraded));
    }
    return new StatusVerdict("healthy", "healthy: " + nodes(s.topology().size())
        + ", none SUSPECT or DOWN; every etcd member answers");
  }

  private static String nodes(int n) {
    return n + (n == 1 ? " node" : " nodes");
  }

  /**
   * Whether the object ring places a key's replicas: every object node is a member, only ACTIVE
   * and DRAINING ones serve, and a key needs the replication factor of them. No object node at
   * all is not a failure (nothing to place yet).
   */
  record Placement(int members, int serving, int replicationFactor) {
    static Placement of(ConsistentHashRing ring) {
      return new Placement(ring.memberCount(), ring.servingCount(), ring.replicationFactor());
    }

    boolean placeable() {
      return members == 0 || serving >= replicationFactor;
    }
  }
}
