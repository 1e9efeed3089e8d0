package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.etcd.SilentMembers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which member a commit goes to: in turn, skipping one that left a commit unanswered. */
class MemberRoutesTest {
  // jetcd connects on first use only: these clients never do.
  private final List<Client> clients = IntStream.range(0, 3).mapToObj(i -> Client.builder()
      .endpoints("http://127.0.0.1:" + (1 + i)).build()).toList();
  private final SilentMembers silent = new SilentMembers(3, Duration.ofSeconds(10));
  private final MemberRoutes routes = new MemberRoutes(clients, silent);

  @AfterEach
  void close() {
    routes.close();
  }

  private List<Integer> picks(int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(routes.pick().orElseThrow().index());
    }
    return out;
  }

  @Test
  void commitsGoToEachMemberInTurn() {
    assertEquals(List.of(0, 1, 2, 0, 1, 2), picks(6));
  }

  @Test
  void aMemberThatLeftACommitUnansweredIsSkipped() {
    MemberRoutes.Route first = routes.pick().orElseThrow();
    routes.unanswered(first, "no answer within 10 s");
    assertEquals(List.of(1, 2, 1, 2), picks(4));
  }

  @Test
  void aMemberTheKeepAliveLanesFoundSilentIsSkipped() {
    silent.markSilent(1);
    assertEquals(List.of(0, 2, 0, 2), picks(4));
  }

  @Test
  void withEveryMemberSkippedTheOneSkippedLongestAgoIsTried() {
    for (int i = 0; i < 3; i++) {
      routes.unanswered(routes.pick().orElseThrow(), "no answer");
    }
    assertEquals(0, routes.pick().orElseThrow().index());
  }

  @Test
  void aSingleEndpointLeavesNothingToChoose() {
    assertTrue(MemberRoutes.none().pick().isEmpty());
  }
}
