package io.gitstratum.coordinator.facade.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.gitstratum.coordinator.facade.core.FencedOutException;
import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.core.TopologyTransitions;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.ErrorReason;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.store.CommitCheck;
import io.gitstratum.coordinator.facade.store.CommitResult;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import io.gitstratum.coordinator.facade.store.TopologyWrites;
import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.gitstratum.coordinator.testkit.FaultProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The write path against real etcd, with the interleavings of the partial-faults issue forced:
 * two writes of one key in a batch, batches past the byte budget, callers that gave up, a full
 * queue, guards on liveness keys, and commits whose answers arrive after the deadline.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TopologyWriterTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static NodeInfo node(String id, String generation) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(generation).build();
  }

  private static Command<RegisterNodeResponse> register(NodeInfo node) {
    return (view, liveness) -> TopologyTransitions.register(view, node, 1_000);
  }

  private static String cluster(TestInfo test) {
    return "w-" + test.getTestMethod().orElseThrow().getName();
  }

  private static Optional<KeyValue> get(Client client, String key) throws Exception {
    return client.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS).getKvs().stream().findFirst();
  }

  private static long ttl(Client client, long lease) throws Exception {
    return client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT)
        .get(5, TimeUnit.SECONDS).getTTL();
  }

  @Test
  void aKeyWrittenTwiceInOneBatchEndsTheSameInEtcdAndInTheCache(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      rig.startedWriter().execute("test", register(node("n", "g1")));
      // Both in one batch: a re-attach of the lapsed lease of generation g1, then the node
      // restarting as generation g2.
      TopologyWriter batched = rig.writer(100, TxnLimits.DEFAULTS);
      CompletableFuture<OptionalLong> reattached = batched.submit("test", (view, liveness) ->
          new Transition<>(List.of(), List.of(new LivenessEffect.AttachAlive("n", "g1"),
              new LivenessEffect.ClearGrace("n")), OptionalLong.empty()));
      CompletableFuture<RegisterNodeResponse> restarted = batched.submit("test", 
          register(node("n", "g2")));
      batched.start();
      reattached.get(10, TimeUnit.SECONDS);
      restarted.get(10, TimeUnit.SECONDS);

      KeyValue alive = get(rig.client, rig.keys.alive("n")).orElseThrow();
      assertEquals("g2", alive.getValue().toString(StandardCharsets.UTF_8));
      assertEquals(alive.getLease(), rig.cache.aliveLease("n").orElseThrow(),
          "the replica renews the lease etcd holds");
      assertTrue(rig.keepAlives.keepAlive(alive.getLease()) > 0);
    }
  }

  /** Registers {@code n} nodes through {@code writer} at once; every answer, in order. */
  private static List<RegisterNodeResponse> registerAll(TopologyWriter writer, int n)
      throws Exception {
    List<CompletableFuture<RegisterNodeResponse>> answers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      answers.add(writer.submit("test", register(node("s" + i, "g"))));
    }
    writer.start();
    List<RegisterNodeResponse> out = new ArrayList<>();
    for (CompletableFuture<RegisterNodeResponse> answer : answers) {
      out.add(answer.get(20, TimeUnit.SECONDS));
    }
    return out;
  }

  /** The number of transactions (etcd revisions) that wrote events 1..n. */
  private static long commits(WriterRig rig, int n) throws Exception {
    return rig.client.getKVClient().get(
        ByteSequence.from(rig.keys.event(1), StandardCharsets.UTF_8),
        GetOption.builder().withRange(ByteSequence.from(rig.keys.event(n + 1),
            StandardCharsets.UTF_8)).build()).get(5, TimeUnit.SECONDS).getKvs().stream()
        .map(KeyValue::getModRevision).distinct().count();
  }

  @Test
  void aStormFillsEachTransactionToEtcdsOperationLimit(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      // 600 registrations of 4 writes each (node, event, history, alive key): 31 per
      // transaction under etcd's 128, so at least 20 transactions and none refused.
      List<RegisterNodeResponse> answers = registerAll(rig.writer(1_000, TxnLimits.DEFAULTS),
          600);
      assertEquals(600, answers.stream().map(RegisterNodeResponse::getTopologyVersion)
          .distinct().count());
      long commits = commits(rig, 600);
      assertTrue(commits >= 20 && commits <= 40, commits + " transactions");
      assertEquals(0, rig.counter("gitstratum_coordinator_commit_refusals", null));
      assertEquals(0, rig.counter("gitstratum_coordinator_unanswered_commits", null));
    }
  }

  @Test
  void aTransactionEtcdRefusesIsSplitAndNeverResentAsItWas(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      // The writer believes etcd takes 512 operations; etcd refuses more than 128. The refused
      // batch is halved (127 -> 63 -> 31 commands) until etcd takes it, and the writer keeps
      // to the limit etcd showed from then on.
      TopologyWriter writer = rig.writer(1_000, new TxnLimits(512, TxnLimits.DEFAULT_MAX_BYTES));
      List<RegisterNodeResponse> answers = registerAll(writer, 300);
      assertEquals(300, answers.stream().map(RegisterNodeResponse::getTopologyVersion)
          .distinct().count(), "every registration acknowledged with its own version");
      double refused = rig.counter("gitstratum_coordinator_commit_refusals", "too_many_ops");
      // A batch resent as it was would be refused again and again.
      assertTrue(refused >= 1 && refused <= 3, refused + " refusals");
      assertEquals(0, rig.counter("gitstratum_coordinator_unanswered_commits", null),
          "a refusal is a known outcome, never an unanswered commit");
      assertEquals(300, rig.cache.state().topology().size());
    }
  }

  @Test
  void largeRegistrationsAreSplitIntoTransactionsByBytes(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      TopologyWriter writer = rig.writer(100,
          new TxnLimits(TxnLimits.ETCD_DEFAULT_MAX_OPS, 200_000));
      List<CompletableFuture<RegisterNodeResponse>> answers = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        NodeInfo.Builder big = node("big-" + i, "g").toBuilder();
        for (int label = 0; label < 64; label++) {
          big.putLabels("label-" + label, "v".repeat(256));
        }
        answers.add(writer.submit("test", register(big.build())));
      }
      writer.start();
      Set<Long> versions = new java.util.TreeSet<>();
      for (CompletableFuture<RegisterNodeResponse> answer : answers) {
        versions.add(answer.get(10, TimeUnit.SECONDS).getTopologyVersion());
      }
      assertEquals(12, versions.size(), "every registration acknowledged with its own version");
      List<KeyValue> events = rig.client.getKVClient().get(
          ByteSequence.from(rig.keys.event(1), StandardCharsets.UTF_8),
          GetOption.builder().withRange(ByteSequence.from(rig.keys.event(13),
              StandardCharsets.UTF_8)).build()).get(5, TimeUnit.SECONDS).getKvs();
      assertEquals(12, events.size());
      Set<Long> commits = events.stream().map(KeyValue::getModRevision)
          .collect(Collectors.toSet());
      // About 36 KB per registration as written (node record and event, each with 64 labels
      // of 256 characters): five per 200 KB transaction.
      assertTrue(commits.size() >= 3, "split into " + commits.size() + " transactions");
    }
  }

  @Test
  void aCommandWhoseCallerGaveUpIsNeverSent(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      TopologyWriter writer = rig.writer(100, TxnLimits.DEFAULTS);
      CompletableFuture<RegisterNodeResponse> abandoned = writer.submit("test", register(node("gone", "g")));
      CompletableFuture<RegisterNodeResponse> kept = writer.submit("test", register(node("kept", "g")));
      abandoned.cancel(false);
      writer.start();
      assertEquals(1, kept.get(10, TimeUnit.SECONDS).getTopologyVersion());
      assertFalse(get(rig.client, rig.keys.node("gone")).isPresent());
      assertFalse(get(rig.client, rig.keys.alive("gone")).isPresent());
    }
  }

  @Test
  void aFullQueueRefusesAtOnceWithARetryDelay(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      TopologyWriter writer = rig.writer(2, TxnLimits.DEFAULTS);
      writer.submit("test", register(node("a", "g")));
      writer.submit("test", register(node("b", "g")));
      UnavailableException refused = assertThrows(UnavailableException.class,
          () -> writer.submit("test", register(node("c", "g"))));
      assertEquals(ErrorReason.WRITE_QUEUE_FULL, refused.reason());
      assertEquals(Optional.of(Duration.ofSeconds(1)), refused.retryDelay());
      assertEquals(1, rig.counter("gitstratum_coordinator_writes_refused", null));
    }
  }

  @Test
  void aGuardedDecisionLosesToAnAliveKeyTheCacheHasNotSeen(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      rig.startedWriter().execute("test", register(node("n", "g")));
      long versionRevision = rig.cache.state().versionModRevision();
      long aliveRevision = get(rig.client, rig.keys.alive("n")).orElseThrow().getModRevision();
      // The detector's view said the alive key was gone; etcd has it.
      TopologyUpdate suspect = TopologyUpdate.newBuilder().setVersion(2).setPreviousVersion(1)
          .setNodeUpdated(node("n", "g").toBuilder().setState(NodeState.NODE_STATE_SUSPECT))
          .build();
      CommitResult lost = rig.store.commit(versionRevision, List.of(suspect), List.of(), List.of(),
          List.of(new LivenessGuard.AliveAbsent("n")));
      assertFalse(lost.committed());
      assertEquals(versionRevision, lost.versionModRevision(), "the version key did not move");
      assertEquals(aliveRevision, lost.guardRevision(), "the guard names the key that stopped it");
      assertEquals(1, rig.store.currentVersion());
    }
  }

  @Test
  void aDeposedDetectorsDecisionIsRefusedAndTheRestOfItsBatchCommits(TestInfo test)
      throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      rig.startedWriter().execute("test", register(node("n", "g")));
      // Won at some revision, and since then the key ended and another replica created it.
      ByteSequence election = ByteSequence.from(rig.keys.detectorElection(),
          StandardCharsets.UTF_8);
      rig.client.getKVClient().put(election, ByteSequence.EMPTY).get(5, TimeUnit.SECONDS);
      long won = get(rig.client, rig.keys.detectorElection()).orElseThrow().getCreateRevision();
      rig.client.getKVClient().delete(election).get(5, TimeUnit.SECONDS);
      rig.client.getKVClient().put(election, ByteSequence.EMPTY).get(5, TimeUnit.SECONDS);

      TopologyWriter writer = rig.writer(100, TxnLimits.DEFAULTS);
      LivenessGuard fence = new LivenessGuard.ElectionHeld(won);
      CompletableFuture<Long> drained = writer.submit("detector:old", (view, liveness) ->
          TopologyTransitions.drain(view, liveness, "n").guardedBy(fence));
      CompletableFuture<RegisterNodeResponse> other = writer.submit("test",
          register(node("m", "g")));
      writer.start(); // both in one batch

      Throwable refused = assertThrows(Exception.class, () -> Completions.join(drained));
      assertTrue(Completions.cause(refused) instanceof FencedOutException, refused.toString());
      assertEquals(won, ((FencedOutException) Completions.cause(refused)).createRevision());
      assertEquals(2, Completions.join(other).getTopologyVersion(), "the other command commits");
      assertEquals(NodeState.NODE_STATE_JOINING,
          rig.cache.state().topology().node("n").orElseThrow().getState(), "not drained");

      // One batch with decisions under the old win and the current one: only the old refused.
      long current = get(rig.client, rig.keys.detectorElection()).orElseThrow()
          .getCreateRevision();
      TopologyWriter mixed = rig.writer(100, TxnLimits.DEFAULTS);
      CompletableFuture<Long> stale = mixed.submit("detector:old", (view, liveness) ->
          TopologyTransitions.drain(view, liveness, "m").guardedBy(fence));
      CompletableFuture<Long> now = mixed.submit("detector:new", (view, liveness) ->
          TopologyTransitions.drain(view, liveness, "n")
              .guardedBy(new LivenessGuard.ElectionHeld(current)));
      mixed.start();
      assertEquals(3, (long) Completions.join(now), "under the current win it commits");
      Throwable old = assertThrows(Exception.class, () -> Completions.join(stale));
      assertEquals(won, ((FencedOutException) Completions.cause(old)).createRevision());
    }
  }

  @Test
  void aCommitsOutcomeIsReadBackFromWhatItWrote(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      long before = rig.store.currentVersionRevision();
      long lease = rig.store.awaitLeases(List.of(rig.store.grantLeaseAsync(10))).get(0);
      TopologyUpdate added = TopologyUpdate.newBuilder().setVersion(1).setPreviousVersion(0)
          .setNodeAdded(node("n", "g")).build();
      List<KeyWrite> writes = List.of(new KeyWrite.PutAlive("n", "g", lease));
      CommitResult result = rig.store.commit(before, List.of(added), List.of(), writes, List.of());
      assertTrue(result.committed());

      assertEquals(new CommitCheck(CommitCheck.Outcome.COMMITTED, result.revision()),
          rig.store.checkCommitted(before, List.of(added), writes));
      assertEquals(new CommitCheck(CommitCheck.Outcome.COMMITTED, result.revision()),
          rig.store.checkCommitted(before, List.of(), writes), "the lease alone tells");
      TopologyUpdate other = added.toBuilder().setNodeAdded(node("m", "g")).build();
      assertEquals(CommitCheck.Outcome.NOT_COMMITTED,
          rig.store.checkCommitted(before, List.of(other), List.of()).outcome(),
          "the version moved past its compare: it can never apply");
      long now = rig.store.currentVersionRevision();
      TopologyUpdate next = TopologyUpdate.newBuilder().setVersion(2).setPreviousVersion(1)
          .setNodeAdded(node("m", "g")).build();
      assertEquals(CommitCheck.Outcome.UNKNOWN,
          rig.store.checkCommitted(now, List.of(next), List.of()).outcome(),
          "not written, but its compare still holds: it may still apply");
    }
  }

  @Test
  void anotherReplicasIdenticalChangeIsNotTakenForThisBatchsCommit(TestInfo test)
      throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      rig.startedWriter().execute("test", register(node("x", "g")));
      long v1 = rig.store.currentVersionRevision();
      TopologyUpdate removeX = TopologyUpdate.newBuilder().setVersion(2).setPreviousVersion(1)
          .setNodeRemoved("x").build();
      TopologyUpdate addY = TopologyUpdate.newBuilder().setVersion(3).setPreviousVersion(2)
          .setNodeAdded(node("y", "g")).build();
      // Replica A's batch [deregister x, register y] goes unanswered; replica B's identical
      // deregistration of x takes version 2 meanwhile. Event 2 has A's bytes, not A's commit.
      TopologyWrites batchOfA = TopologyWrites.of(rig.keys, List.of(removeX, addY), List.of());
      TopologyWrites batchOfB = TopologyWrites.of(rig.keys, List.of(removeX), List.of());
      assertTrue(rig.store.commit(v1, batchOfB, List.of(), List.of()).committed());
      assertEquals(CommitCheck.Outcome.NOT_COMMITTED,
          rig.store.checkCommitted(v1, batchOfA, List.of()).outcome(),
          "y must not be answered 'registered at version 3'");
      assertEquals(CommitCheck.Outcome.COMMITTED,
          rig.store.checkCommitted(v1, batchOfB, List.of()).outcome(), "B's own mark");
    }
  }

  @Test
  void aDownDecidedBeforeAPauseDoesNotCommitAfterIt(TestInfo test) throws Exception {
    try (WriterRig rig = new WriterRig(etcd.endpoints(), cluster(test))) {
      TopologyWriter writer = rig.startedWriter();
      writer.execute("test", register(node("n", "g")));
      writer.execute("test", (view, liveness) -> new Transition<>(List.of(TopologyUpdate
          .newBuilder().setPreviousVersion(view.version()).setVersion(view.version() + 1)
          .setNodeUpdated(view.node("n").orElseThrow().toBuilder()
              .setState(NodeState.NODE_STATE_SUSPECT)).build()), OptionalLong.empty()));
      // The DOWN decided on the view before the pause (lease and grace gone); the pause lands
      // (another replica's PauseDetector) while the decision waits behind a slow etcd.
      long versionRevision = rig.cache.state().versionModRevision();
      Transition<OptionalLong> down = TopologyTransitions.down(rig.cache.state().topology(),
          new LivenessView() {
            @Override
            public boolean hasAlive(String nodeId) {
              return false;
            }

            @Override
            public boolean hasGrace(String nodeId) {
              return false;
            }

            @Override
            public boolean isDrained(String nodeId) {
              return false;
            }
          }, "n");
      assertTrue(down.changes());
      rig.client.getKVClient().put(ByteSequence.from(rig.keys.detectorPause(),
          StandardCharsets.UTF_8), ByteSequence.from("{}", StandardCharsets.UTF_8))
          .get(5, TimeUnit.SECONDS);
      CommitResult result = rig.store.commit(versionRevision, down.updates(), List.of(),
          List.of(), down.guards());
      assertFalse(result.committed(), "etcd refuses a DOWN once the pause is there");
      assertEquals(NodeState.NODE_STATE_SUSPECT, rig.cache.state().topology().node("n")
          .orElseThrow().getState());
    }
  }

  /** A rig whose etcd connections go through a fault proxy, warmed up, and a direct client. */
  private record BehindProxy(FaultProxy proxy, Client direct, WriterRig rig,
      TopologyWriter writer) implements AutoCloseable {
    static BehindProxy start(String cluster) throws Exception {
      FaultProxy proxy = FaultProxy.forEndpoint(etcd.endpoints().get(0));
      Client direct = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
      WriterRig rig = new WriterRig(List.of(proxy.endpoint()), cluster);
      TopologyWriter writer = rig.startedWriter();
      writer.execute("test", register(node("warm", "g")));
      // A pooled lease ready: the next registration needs no grant through a slow proxy.
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> rig.pool.size() >= 1);
      return new BehindProxy(proxy, direct, rig, writer);
    }

    @Override
    public void close() throws Exception {
      rig.close();
      direct.close();
      proxy.close();
    }
  }

  @Test
  void aCommitAnsweredLateKeepsItsLeaseAndIsConfirmedByReading(TestInfo test) throws Exception {
    try (BehindProxy slow = BehindProxy.start(cluster(test))) {
      // etcd applies the commit at once, its answer comes 3 s later: past the 1 s deadline.
      slow.proxy().delayResponses(Duration.ofSeconds(3));
      CompletableFuture<RegisterNodeResponse> late =
          slow.writer().submit("test", register(node("late", "g")));
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> get(slow.direct(), slow.rig().keys.node("late")).isPresent());
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
          slow.rig().counter("gitstratum_coordinator_etcd_errors", "topology_commit") >= 1);
      slow.proxy().pass(); // the writer's read of etcd now gets through

      assertEquals(2, late.get(10, TimeUnit.SECONDS).getTopologyVersion(),
          "the commit was confirmed by reading etcd");
      assertEquals(1, slow.rig().counter("gitstratum_coordinator_unanswered_commits",
          "committed"));
      KeyValue alive = get(slow.direct(), slow.rig().keys.alive("late")).orElseThrow();
      assertTrue(ttl(slow.direct(), alive.getLease()) > 0, "its lease was not revoked");
      assertEquals(alive.getLease(), slow.rig().cache.aliveLease("late").orElseThrow());
    }
  }

  @Test
  void aCommitWhoseOutcomeStaysUnknownRevokesNothing(TestInfo test) throws Exception {
    try (BehindProxy slow = BehindProxy.start(cluster(test))) {
      // The commit and the read that checks it both time out.
      slow.proxy().delayResponses(Duration.ofMillis(2_500));
      CompletableFuture<RegisterNodeResponse> late =
          slow.writer().submit("test", register(node("late", "g")));
      UnavailableException unknown = assertThrows(UnavailableException.class,
          () -> Completions.join(late));
      assertTrue(unknown.getMessage().contains("outcome"), unknown.getMessage());
      slow.proxy().pass();

      // The check went unanswered too: no copy is sent again into an etcd that does not answer.
      assertEquals(1, slow.rig().counter("gitstratum_coordinator_unanswered_commits",
          "unknown"));
      KeyValue alive = get(slow.direct(), slow.rig().keys.alive("late")).orElseThrow();
      assertTrue(ttl(slow.direct(), alive.getLease()) > 0, "its lease was not revoked");
      // The watch brings the commit into the cache; a retried registration is a no-op.
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> slow.rig().cache.aliveLease("late").isPresent());
      assertTrue(slow.writer().execute("test", register(node("late", "g"))).getAlreadyRegistered());
      assertEquals(alive.getLease(),
          get(slow.direct(), slow.rig().keys.alive("late")).orElseThrow().getLease());
    }
  }
}
