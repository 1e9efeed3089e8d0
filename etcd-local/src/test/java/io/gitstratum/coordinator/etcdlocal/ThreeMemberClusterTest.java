package io.gitstratum.coordinator.etcdlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real three-member etcd cluster with fast raft timers. */
@Tag("etcd")
@Timeout(60)
class ThreeMemberClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private LocalEtcdCluster cluster;

  @BeforeEach
  void startCluster() throws IOException {
    cluster =
        LocalEtcdCluster.start(
            LocalEtcdCluster.Options.builder().members(3).fastTimers(true).build());
  }

  @AfterEach
  void closeCluster() {
    cluster.close();
  }

  @Test
  void allMembersAreHealthyOnDistinctPorts() {
    List<String> endpoints = cluster.endpoints();
    assertEquals(3, endpoints.size());
    assertEquals(String.join(",", endpoints), cluster.endpointsCsv());
    Set<Integer> ports = new HashSet<>();
    for (EtcdMember member : cluster.members()) {
      assertTrue(EtcdHttp.healthy(member.clientEndpoint()), member.name());
      ports.add(member.clientPort());
      ports.add(member.peerPort());
      assertEquals(cluster.member(0).initialCluster(), member.initialCluster());
    }
    assertEquals(6, ports.size());
  }

  @Test
  void survivesStoppingOneMemberAndItCatchesUpAfterRestart() throws Exception {
    String first = cluster.member(0).clientEndpoint();
    String second = cluster.member(1).clientEndpoint();
    String third = cluster.member(2).clientEndpoint();

    cluster.stopMember(0);
    assertFalse(cluster.member(0).isRunning());

    // If member 0 led, the others elect a new leader within a few election timeouts.
    EtcdHttp.await(
        "quorum without member 0",
        WAIT,
        () -> EtcdHttp.healthy(second) && EtcdHttp.healthy(third));
    EtcdHttp.put(second, "while-down", "written");
    assertEquals(Optional.of("written"), EtcdHttp.get(third, "while-down"));

    cluster.restartMember(0);

    assertTrue(EtcdHttp.healthy(first));
    // Range requests are linearizable: a healthy member answers with the committed value.
    assertEquals(Optional.of("written"), EtcdHttp.get(first, "while-down"));
  }

  @Test
  void losingQuorumMakesTheRemainingMemberUnhealthy() throws Exception {
    cluster.stopMember(0);
    cluster.stopMember(1);

    String last = cluster.member(2).clientEndpoint();

    EtcdHttp.await("member 2 to notice the lost quorum", WAIT, () -> !EtcdHttp.healthy(last));

    cluster.restartMember(1); // two of three again: quorum returns
    EtcdHttp.await("quorum restored", WAIT, () -> EtcdHttp.healthy(last));
  }
}
