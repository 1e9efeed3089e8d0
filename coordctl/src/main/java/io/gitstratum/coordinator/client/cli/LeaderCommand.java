package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.GetLeaderResponse;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code coordctl leader}: the replica that runs the failure detector (GetLeader). */
@Command(name = "leader", mixinStandardHelpOptions = true,
    description = "Show the replica that holds the detector election "
    + "(exit code 1 when none does).")
final class LeaderCommand implements Callable<Integer> {
  @ParentCommand
  CoordCtl root;

  @Override
  public Integer call() {
    GetLeaderResponse leader;
    String endpoint;
    try (CoordinatorClient client = root.connect()) {
      leader = client.getLeader();
      endpoint = client.currentEndpoint().orElse("?");
    }
    PrintWriter out = root.spec.commandLine().getOut();
    if (leader.getLeaderId().isEmpty()) {
      out.printf("no replica holds the detector election right now (asked %s)%n", endpoint);
      return CoordCtl.ERROR;
    }
    out.printf("leader %s at %s (asked %s, which %s the leader)%n", leader.getLeaderId(),
        leader.getLeaderAddress(), endpoint, leader.getIsLeader() ? "is" : "is not");
    return CoordCtl.OK;
  }
}
