package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.EtcdMember;
import io.gitstratum.coordinator.proto.HealthCheckResponse;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code coordctl health}: HealthCheck of the replica that answers; exit 1 when unhealthy. */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = "Show a replica's health (exit code 1 when unhealthy).")
final class HealthCommand implements java.util.concurrent.Callable<Integer> {
  @ParentCommand
  CoordCtl root;

  @Override
  public Integer call() {
    HealthCheckResponse health;
    String endpoint;
    try (CoordinatorClient client = root.connect()) {
      health = client.healthCheck();
      endpoint = client.currentEndpoint().orElse("?");
    }
    PrintWriter out = root.spec.commandLine().getOut();
    out.printf("healthy:           %s%n", verdict(health));
    out.printf("answered by:       %s (%s)%n", endpoint,
        health.getRaftState().name().replace("RAFT_STATE_", "").toLowerCase());
    out.printf("detector leader:   %s%n", health.getLeaderId().isEmpty()
        ? "none: no replica decides SUSPECT and DOWN right now (one takes over within "
            + "--session-ttl)"
        : health.getLeaderId() + " at " + health.getLeaderAddress());
    out.printf("topology version:  %d%n", health.getTopologyVersion());
    out.printf("nodes:             %d active, %d suspect, %d down%n", health.getActiveNodes(),
        health.getSuspectNodes(), health.getDownNodes());
    out.print(Formats.zones(health.getProtectedZonesList(), root.clock));
    out.printf("watch streams:     %d%n", health.getWatchSubscribers());
    out.printf("etcd:              term %d, revision %d%n", health.getRaftTerm(),
        health.getAppliedIndex());
    out.printf("etcd members:      %s%n", members(health));
    return health.getHealthy() ? CoordCtl.OK : CoordCtl.ERROR;
  }

  /** yes; yes, but etcd members do not answer (quorum kept); or NO with why. */
  static String verdict(HealthCheckResponse health) {
    if (!health.getHealthy()) {
      return "NO (" + why(health) + ")";
    }
    long silent = health.getEtcdMembersList().stream().filter(m -> !m.getAnswers()).count();
    return silent == 0 ? "yes" : "yes, but " + silent + " of " + health.getEtcdMembersCount()
        + " etcd members " + (silent == 1 ? "does" : "do") + " not answer";
  }

  /**
   * "2 of 3 answer; etcd-2 (http://...) does not: UNAVAILABLE: io exception", as the answering
   * replica's background check last saw them.
   */
  static String members(HealthCheckResponse health) {
    List<EtcdMember> members = health.getEtcdMembersList();
    if (members.isEmpty()) {
      return "not checked yet";
    }
    StringBuilder out = new StringBuilder();
    out.append(members.stream().filter(EtcdMember::getAnswers).count()).append(" of ")
        .append(members.size()).append(" answer");
    for (EtcdMember member : members) {
      if (!member.getAnswers()) {
        out.append("; ").append(member.getName()).append(" (").append(member.getEndpoint())
            .append(") does not: ").append(member.getProblem());
      } else if (!member.getProblem().isEmpty()) {
        out.append("; ").append(member.getName()).append(": ").append(member.getProblem());
      }
    }
    return out.toString();
  }

  /** Why a replica says it is unhealthy: HealthCheck's two causes (docs/CONTRACT.md). */
  static String why(HealthCheckResponse health) {
    if (followsEtcd(health)) {
      return "most live nodes of " + health.getProtectedZonesCount() + " zone(s) are SUSPECT: "
          + "zone protection slows SUSPECT->DOWN";
    }
    return "this replica does not follow etcd: etcd unreachable or without quorum? "
        + "try another replica, or `coordctl topology --linearizable`";
  }

  /**
   * Whether the answering replica follows etcd: HealthCheck is unhealthy for one of two causes,
   * zone protection (named in protected_zones) or a cache that does not follow etcd.
   */
  static boolean followsEtcd(HealthCheckResponse health) {
    return health.getHealthy() || health.getProtectedZonesCount() > 0;
  }
}
