package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.kv.TxnResponse;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/** The commit transaction's requests and the meaning of etcd's answers, without etcd. */
class CommitTransactionTest {
  private static final LongFunction<Optional<String>> NO_MARK = revision -> Optional.empty();

  private final Keyspace keys = Keyspace.defaults();

  private static TopologyUpdate added(long version, String id) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeAdded(NodeInfo.newBuilder().setId(id)).build();
  }

  private static TopologyUpdate updated(long version, String id) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeUpdated(NodeInfo.newBuilder().setId(id).setPort(7000)).build();
  }

  private CommitTransaction txn(long expected, List<TopologyUpdate> updates,
      List<KeyWrite> writes, List<LivenessGuard> guards) {
    return new CommitTransaction(keys, expected, updates, List.of(), writes, guards);
  }

  /** The answer to one read of the transaction. */
  private static ResponseOp range(KeyValue... kvs) {
    return ResponseOp.newBuilder()
        .setResponseRange(RangeResponse.newBuilder().addAllKvs(List.of(kvs))).build();
  }

  private static KeyValue kv(String key, long modRevision, long lease, byte[] value) {
    return KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(key)).setModRevision(modRevision)
        .setLease(lease).setValue(ByteString.copyFrom(value)).build();
  }

  /** The detector's election key as created at {@code createRevision}. */
  private KeyValue election(long createRevision) {
    return kv(keys.detectorElection(), createRevision, 77, new byte[0]).toBuilder()
        .setCreateRevision(createRevision).build();
  }

  private static TxnResponse answer(boolean succeeded, long revision, ResponseOp... gets) {
    return new TxnResponse(io.etcd.jetcd.api.TxnResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(revision)).setSucceeded(succeeded)
        .addAllResponses(List.of(gets)).build(), ByteSequence.EMPTY);
  }

  @Test
  void eachKeyIsWrittenOnceInOrderAndTheVersionLast() {
    CommitTransaction txn = txn(5, List.of(added(3, "a"), updated(4, "a")),
        List.of(new KeyWrite.PutAlive("a", "g", 9)), List.of());
    assertEquals(List.of(keys.node("a"), keys.event(3), keys.event(4), keys.alive("a"),
        keys.commitMark(), keys.version()), List.copyOf(txn.writesByKey().keySet()));
  }

  @Test
  void eachChangeIsWrittenWithItsHistoryRecord() {
    ChangeRecord registered = ChangeRecord.newBuilder()
        .setReason(ChangeReason.CHANGE_REASON_REGISTERED).setActor("node:a").setAt(7).build();
    ChangeRecord drained = registered.toBuilder()
        .setReason(ChangeReason.CHANGE_REASON_DRAINED_BY_OPERATOR).setActor("operator:o").build();
    CommitTransaction txn = new CommitTransaction(keys, 5, List.of(added(3, "a"), updated(4, "a")),
        List.of(registered, drained), List.of(), List.of());
    assertEquals(List.of(keys.node("a"), keys.event(3), keys.history(3), keys.event(4),
        keys.history(4), keys.commitMark(), keys.version()),
        List.copyOf(txn.writesByKey().keySet()));
    assertThrows(IllegalArgumentException.class, () -> new CommitTransaction(keys, 5,
        List.of(added(3, "a")), List.of(registered, drained), List.of(), List.of()));
  }

  @Test
  void aLivenessOnlyBatchLeavesTheVersionAlone() {
    CommitTransaction txn = txn(5, List.of(),
        List.of(new KeyWrite.DeleteAlive("a"), new KeyWrite.PutGrace("a", 3)), List.of());
    assertEquals(List.of(keys.alive("a"), keys.grace("a")),
        List.copyOf(txn.writesByKey().keySet()));
  }

  @Test
  void anUpdateThatIsNotAChangeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> txn(5,
        List.of(TopologyUpdate.newBuilder().setVersion(3).build()), List.of(), List.of()));
  }

  @Test
  void aLostCompareReportsTheVersionKeyAndTheNewestGuardedKey() {
    CommitTransaction txn = txn(5, List.of(added(3, "a")), List.of(),
        List.of(new LivenessGuard.AliveAbsent("a"), new LivenessGuard.AliveAbsent("b")));
    assertEquals(3, txn.compares().length);
    assertEquals(3, txn.readsOnLost().length);
    CommitResult lost = txn.result(answer(false, 40,
        range(kv(keys.version(), 12, 0, new byte[0])),
        range(kv(keys.alive("a"), 30, 7, new byte[0])),
        range(kv(keys.alive("b"), 21, 8, new byte[0]))));
    assertEquals(new CommitResult(false, 40, 12, 30), lost);
    assertEquals(CommitResult.committedAt(41), txn.result(answer(true, 41)));
  }

  @Test
  void theElectionFenceComparesTheWinsCreateRevisionAndSaysWhenItFailed() {
    CommitTransaction txn = txn(5, List.of(added(3, "a")), List.of(),
        List.of(new LivenessGuard.AliveAbsent("a"), new LivenessGuard.ElectionHeld(9)));
    assertEquals(3, txn.compares().length);
    assertEquals(3, txn.readsOnLost().length);
    // Another replica's key (created at 33): fenced, and its revision is not waited for.
    CommitResult lost = txn.result(answer(false, 40,
        range(kv(keys.version(), 5, 0, new byte[0])),
        range(kv(keys.alive("a"), 30, 7, new byte[0])),
        range(election(33))));
    assertEquals(new CommitResult(false, 40, 5, 30, 33), lost);
    // The fence's own key, and no key at all.
    assertEquals(new CommitResult(false, 40, 5, 0, -1), txn.result(answer(false, 40,
        range(kv(keys.version(), 5, 0, new byte[0])), range(),
        range(election(9)))));
    assertTrue(txn.result(answer(false, 40, range(kv(keys.version(), 5, 0, new byte[0])),
        range(), range())).fenced());
  }

  @Test
  void theFirstEventWithTheSameBytesAndItsOwnCommitMarkMeansCommitted() {
    TopologyUpdate first = added(3, "a");
    TopologyWrites writes = TopologyWrites.of(keys, List.of(first), List.of());
    CommitTransaction txn = new CommitTransaction(keys, 5, writes, List.of(), List.of());
    assertEquals(2, txn.checkReads().length);
    TxnResponse eventThere = answer(true, 20, range(kv(keys.version(), 17, 0, new byte[0])),
        range(kv(keys.event(3), 17, 0, RecordCodec.encode(first))));
    assertEquals(new CommitCheck(CommitCheck.Outcome.COMMITTED, 17), txn.checkOutcome(
        eventThere, revision -> revision == 17 ? Optional.of(writes.commitId())
            : Optional.empty()));
    // The same bytes at version 3 from another replica's identical change: not this batch.
    assertEquals(new CommitCheck(CommitCheck.Outcome.NOT_COMMITTED, 0), txn.checkOutcome(
        eventThere, revision -> Optional.of("another-transaction")));
    assertEquals(CommitCheck.unknown(), txn.checkOutcome(eventThere, revision -> Optional.empty()),
        "the mark of that revision compacted away: nothing proves either");
    // Another writer's event 3: this batch lost, and the version key moved past its compare.
    assertEquals(new CommitCheck(CommitCheck.Outcome.NOT_COMMITTED, 0), txn.checkOutcome(answer(
        true, 20, range(kv(keys.version(), 17, 0, new byte[0])),
        range(kv(keys.event(3), 17, 0, RecordCodec.encode(added(3, "b"))))), NO_MARK));
  }

  @Test
  void everyTopologyCommitWritesItsOwnMarkAndCopiesCarryTheSame() {
    TopologyWrites writes = TopologyWrites.of(keys, List.of(added(3, "a")), List.of());
    assertTrue(new CommitTransaction(keys, 5, writes, List.of(), List.of()).writesByKey()
        .containsKey(keys.commitMark()));
    assertEquals(32, writes.commitId().length());
    assertNotEquals(writes.commitId(),
        TopologyWrites.of(keys, List.of(added(3, "a")), List.of()).commitId());
  }

  @Test
  void aKeyCarryingOneOfItsLeasesMeansCommittedElseTheVersionKeyDecides() {
    CommitTransaction txn = txn(5, List.of(), List.of(new KeyWrite.DeleteGrace("a"),
        new KeyWrite.PutAlive("a", "g", 70), new KeyWrite.PutGrace("b", 71)), List.of());
    assertEquals(3, txn.checkReads().length); // the version key and the two puts
    assertEquals(new CommitCheck(CommitCheck.Outcome.COMMITTED, 9), txn.checkOutcome(answer(
        true, 20, range(kv(keys.version(), 5, 0, new byte[0])),
        range(kv(keys.alive("a"), 8, 69, new byte[0])),
        range(kv(keys.grace("b"), 9, 71, new byte[0]))), NO_MARK));
    assertEquals(CommitCheck.unknown(), txn.checkOutcome(answer(
        true, 20, range(kv(keys.version(), 5, 0, new byte[0])), range(), range()), NO_MARK));
    assertEquals(new CommitCheck(CommitCheck.Outcome.NOT_COMMITTED, 0), txn.checkOutcome(answer(
        true, 20, range(kv(keys.version(), 6, 0, new byte[0])), range(), range()), NO_MARK));
  }
}
