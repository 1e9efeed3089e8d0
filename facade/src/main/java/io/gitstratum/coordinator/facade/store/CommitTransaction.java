package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.core.LivenessGuard;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * One batch's compare-and-swap transaction on the version key, as {@link EtcdTopologyStore#commit}
 * sends it: what it compares (the version key, the guarded liveness keys), what it writes (each
 * change's node record and event, the liveness keys, the new version), what it reads when it
 * loses, and what etcd's answer means; and the read by which
 * {@link EtcdTopologyStore#checkCommitted} finds out whether such a transaction was applied when
 * its answer never came. Builds requests and reads answers; the store sends them. Immutable and
 * thread-safe; made by the store for one call.
 */
final class CommitTransaction {
  private final Keyspace keys;
  private final long expectedVersionModRevision;
  private final TopologyWrites topology;
  private final List<KeyWrite> keyWrites;
  private final List<LivenessGuard> guards;

  /**
   * @param expectedVersionModRevision the version key's mod revision the batch was built on
   * @param topology the changes' encoded writes
   * @param guards keys that must be as each guard says for the writes to apply (none for a
   *     check)
   */
  CommitTransaction(Keyspace keys, long expectedVersionModRevision, TopologyWrites topology,
      List<KeyWrite> keyWrites, Collection<LivenessGuard> guards) {
    this.keys = keys;
    this.expectedVersionModRevision = expectedVersionModRevision;
    this.topology = topology;
    this.keyWrites = List.copyOf(keyWrites);
    this.guards = List.copyOf(guards);
  }

  /**
   * @param history why each update happened, in the same order; empty: none written
   * @throws IllegalArgumentException for a history of another length or an update that is not
   *     a change
   */
  CommitTransaction(Keyspace keys, long expectedVersionModRevision,
      List<TopologyUpdate> updates, List<ChangeRecord> history, List<KeyWrite> keyWrites,
      Collection<LivenessGuard> guards) {
    this(keys, expectedVersionModRevision, TopologyWrites.of(keys, updates, history), keyWrites,
        guards);
  }

  /**
   * The limits' view of liveness writes and guards ({@link TopologyWrites#size} has the
   * topology writes, {@link EtcdTopologyStore#baseTxnSize} the version key's compare).
   */
  static TxnSize size(Keyspace keys, Collection<KeyWrite> keyWrites,
      Collection<LivenessGuard> guards) {
    TxnSize size = TxnSize.ZERO;
    for (KeyWrite write : keyWrites) {
      String key = keyOf(keys, write);
      size = size.plus(write instanceof KeyWrite.PutAlive alive
          ? TxnSize.put(key, utf8Length(alive.generation()))
          : write instanceof KeyWrite.PutDrained drained
          ? TxnSize.put(key, utf8Length(drained.generation()))
          : write instanceof KeyWrite.PutGrace ? TxnSize.put(key, 0) : TxnSize.delete(key));
    }
    for (LivenessGuard guard : guards) {
      size = size.plus(TxnSize.guard(keyOf(keys, guard)));
    }
    return size;
  }

  /**
   * If: the version key is unchanged, every guarded liveness key is absent, and the detector's
   * election key is the one its fence names.
   */
  Cmp[] compares() {
    List<Cmp> compares = new ArrayList<>(1 + guards.size());
    compares.add(new Cmp(bytes(keys.version()), Cmp.Op.EQUAL,
        CmpTarget.modRevision(expectedVersionModRevision)));
    for (LivenessGuard guard : guards) {
      ByteSequence key = bytes(keyOf(keys, guard));
      compares.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(expectedCreate(guard))));
    }
    return compares.toArray(Cmp[]::new);
  }

  /** Then: the writes, one per key ({@link #writesByKey}). */
  Op[] writes() {
    return writesByKey().values().toArray(Op[]::new);
  }

  /**
   * The writes by key, in order: each event, the node records it changes, the liveness keys, and
   * the new version (only when there are events).
   */
  Map<String, Op> writesByKey() {
    // etcd refuses duplicate keys in a transaction: the topology writes come one per key, and
    // the liveness keys collapsed by the writer.
    Map<String, Op> ops = new LinkedHashMap<>();
    topology.values().forEach((key, value) -> ops.put(key, value == null
        ? Op.delete(bytes(key), DeleteOption.DEFAULT)
        : Op.put(bytes(key), ByteSequence.from(value), PutOption.DEFAULT)));
    for (KeyWrite write : keyWrites) {
      ops.put(keyOf(keys, write), op(write));
    }
    if (!topology.isEmpty()) {
      ops.put(keys.commitMark(), Op.put(bytes(keys.commitMark()), bytes(topology.commitId()),
          PutOption.DEFAULT));
      ops.put(keys.version(), Op.put(bytes(keys.version()),
          bytes(RecordCodec.encodeVersion(topology.lastVersion())), PutOption.DEFAULT));
    }
    return ops;
  }

  /** Else: the version key and the guarded keys, in the order of {@link #compares}. */
  Op[] readsOnLost() {
    List<Op> onLost = new ArrayList<>(1 + guards.size());
    onLost.add(Op.get(bytes(keys.version()), GetOption.DEFAULT));
    for (LivenessGuard guard : guards) {
      onLost.add(keysOnly(keyOf(keys, guard)));
    }
    return onLost.toArray(Op[]::new);
  }

  /** What the transaction's answer says: committed, or lost and to what. */
  CommitResult result(TxnResponse response) {
    long revision = response.getHeader().getRevision();
    if (response.isSucceeded()) {
      return CommitResult.committedAt(revision);
    }
    List<GetResponse> gets = response.getGetResponses();
    long versionModRevision = modRevision(gets.get(0));
    long guardRevision = 0;
    long electionNow = -1;
    for (int i = 0; i < guards.size(); i++) {
      GetResponse get = gets.get(i + 1);
      if (guards.get(i) instanceof LivenessGuard.ElectionHeld held) {
        // The cache does not follow the election key: nothing to wait for, only the verdict.
        long now = get.getKvs().stream().findFirst().map(KeyValue::getCreateRevision).orElse(0L);
        if (now != held.createRevision()) {
          electionNow = now;
        }
      } else {
        guardRevision = Math.max(guardRevision, modRevision(get));
      }
    }
    return new CommitResult(false, revision, versionModRevision, guardRevision, electionNow);
  }

  /** The create revision a guarded key must have: 0 (absent), or the fence's election win. */
  private static long expectedCreate(LivenessGuard guard) {
    return guard instanceof LivenessGuard.ElectionHeld held ? held.createRevision() : 0;
  }

  /**
   * The check's reads, one transaction: the version key, the first change event, and each
   * liveness key put with a lease.
   */
  Op[] checkReads() {
    List<Op> reads = new ArrayList<>();
    reads.add(Op.get(bytes(keys.version()), GetOption.DEFAULT));
    if (!topology.isEmpty()) {
      reads.add(Op.get(bytes(keys.event(topology.updates().get(0).getVersion())),
          GetOption.DEFAULT));
    }
    for (KeyWrite write : keyWrites) {
      if (leaseOf(write) != 0) {
        reads.add(keysOnly(keyOf(keys, write)));
      }
    }
    return reads.toArray(Op[]::new);
  }

  /**
   * What the answer to {@link #checkReads} tells: committed when etcd holds a liveness key
   * carrying one of its leases (lease ids are never reused), or its first change event with the
   * same bytes AND, at that event's revision, this transaction's own commit mark
   * ({@code markAt} reads the mark as of a revision): identical bytes alone prove nothing, since
   * another replica's identical change (a deregistration, a SUSPECT) may hold that version. Not
   * committed once the version key has moved past its compare without such proof; else unknown.
   *
   * @param markAt the commit mark's value at a revision; empty when it cannot be read then
   */
  CommitCheck checkOutcome(TxnResponse response, LongFunction<Optional<String>> markAt) {
    List<GetResponse> gets = response.getGetResponses();
    int next = 1;
    Optional<KeyValue> event = Optional.empty();
    if (!topology.isEmpty()) {
      event = gets.get(next++).getKvs().stream().findFirst();
    }
    for (KeyWrite write : keyWrites) {
      long leaseId = leaseOf(write);
      if (leaseId == 0) {
        continue;
      }
      Optional<KeyValue> key = gets.get(next++).getKvs().stream().findFirst();
      if (key.isPresent() && key.get().getLease() == leaseId) {
        return new CommitCheck(CommitCheck.Outcome.COMMITTED, key.get().getModRevision());
      }
    }
    if (event.isPresent() && Arrays.equals(event.get().getValue().getBytes(),
        topology.firstEvent())) {
      long revision = event.get().getModRevision();
      Optional<String> mark = markAt.apply(revision);
      if (mark.isEmpty()) {
        return CommitCheck.unknown(); // the mark of that revision is gone (compacted)
      }
      return mark.get().equals(topology.commitId())
          ? new CommitCheck(CommitCheck.Outcome.COMMITTED, revision)
          : new CommitCheck(CommitCheck.Outcome.NOT_COMMITTED, 0);
    }
    return modRevision(gets.get(0)) != expectedVersionModRevision
        ? new CommitCheck(CommitCheck.Outcome.NOT_COMMITTED, 0) : CommitCheck.unknown();
  }

  private static long leaseOf(KeyWrite write) {
    return write instanceof KeyWrite.PutAlive a ? a.lease()
        : write instanceof KeyWrite.PutGrace g ? g.lease() : 0;
  }

  private static long modRevision(GetResponse get) {
    return get.getKvs().stream().findFirst().map(KeyValue::getModRevision).orElse(0L);
  }

  private static String keyOf(Keyspace keys, LivenessGuard guard) {
    if (guard instanceof LivenessGuard.PauseAbsent) {
      return keys.detectorPause();
    }
    if (guard instanceof LivenessGuard.ElectionHeld) {
      return keys.detectorElection();
    }
    return guard instanceof LivenessGuard.AliveAbsent
        ? keys.alive(guard.nodeId()) : keys.grace(guard.nodeId());
  }

  private static String keyOf(Keyspace keys, KeyWrite write) {
    if (write instanceof KeyWrite.PutAlive || write instanceof KeyWrite.DeleteAlive) {
      return keys.alive(write.nodeId());
    }
    if (write instanceof KeyWrite.PutDrained || write instanceof KeyWrite.DeleteDrained) {
      return keys.drained(write.nodeId());
    }
    return keys.grace(write.nodeId());
  }

  private static int utf8Length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  private Op op(KeyWrite write) {
    if (write instanceof KeyWrite.PutAlive alive) {
      return Op.put(bytes(keys.alive(alive.nodeId())),
          ByteSequence.from(alive.generation(), StandardCharsets.UTF_8),
          PutOption.builder().withLeaseId(alive.lease()).build());
    } else if (write instanceof KeyWrite.PutGrace grace) {
      return Op.put(bytes(keys.grace(grace.nodeId())), ByteSequence.EMPTY,
          PutOption.builder().withLeaseId(grace.lease()).build());
    } else if (write instanceof KeyWrite.PutDrained drained) {
      return Op.put(bytes(keys.drained(drained.nodeId())),
          ByteSequence.from(drained.generation(), StandardCharsets.UTF_8), PutOption.DEFAULT);
    }
    return Op.delete(bytes(keyOf(keys, write)), DeleteOption.DEFAULT);
  }

  private static Op keysOnly(String key) {
    return Op.get(bytes(key), GetOption.builder().withKeysOnly(true).build());
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static ByteSequence bytes(byte[] value) {
    return ByteSequence.from(value);
  }
}
