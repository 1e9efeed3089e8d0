package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Key;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.schema.records.DetectorEventRecord;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.facade.etcd.Deadlines;

/**
 * What the admin service and the status page read and write in etcd besides topology changes:
 * an operator's pause of SUSPECT→DOWN ({@code P/detector/pause}) and the detector's events
 * ({@code P/detector/events/}: pause, resume, zone protection), the change history
 * ({@code P/history/}, written by each topology commit beside its event) read back joined with
 * the change events, the running replicas ({@code P/facades/}), and how long ago node leases
 * were renewed. Every call blocks for at most the etcd timeout per request; thread-safe.
 */
@Singleton
public final class EtcdAdminStore {
  /** A change event and why it happened; {@code why} is empty where no record was written. */
  public record RecordedChange(TopologyUpdate update, Optional<ChangeRecord> why) {}

  private final KV kv;
  private final Lease leases;
  private final Keyspace keys;
  private final Duration timeout;
  private final PagedRange pages;
  private final FacadeMetrics metrics;

  @Inject
  public EtcdAdminStore(Client client, Keyspace keys, EtcdSettings etcd, FacadeMetrics metrics) {
    this.kv = client.getKVClient();
    this.leases = client.getLeaseClient();
    this.keys = keys;
    this.timeout = etcd.timeout();
    this.metrics = metrics;
    this.pages = new PagedRange(kv, etcd.pageBytes(), this::await);
  }

  /** The pause key, and its detector event, in one transaction. */
  public void pause(DetectorPauseRecord pause, DetectorEventRecord event) {
    await(kv.txn().Then(
        Op.put(bytes(keys.detectorPause()), ByteSequence.from(RecordCodec.encode(pause)),
            PutOption.DEFAULT),
        put(event)).commit(), "detector pause");
  }

  /**
   * Ends an operator's pause and records that, in one transaction; true when there was a pause
   * to end (otherwise nothing is written).
   */
  public boolean resume(DetectorEventRecord event) {
    ByteSequence pause = bytes(keys.detectorPause());
    return await(kv.txn().If(new Cmp(pause, Cmp.Op.GREATER, CmpTarget.version(0)))
        .Then(Op.delete(pause, DeleteOption.DEFAULT), put(event)).commit(), "detector resume")
        .isSucceeded();
  }

  /**
   * A detector event of the detector itself (zone protection), fenced as its decisions are:
   * written only while {@code P/election/detector} is the key created at {@code electionWon}.
   *
   * @return false when the fence failed: this replica no longer leads, nothing was written
   */
  public boolean record(DetectorEventRecord event, long electionWon) {
    ByteSequence election = bytes(keys.detectorElection());
    return await(kv.txn()
        .If(new Cmp(election, Cmp.Op.EQUAL, CmpTarget.createRevision(electionWon)))
        .Then(put(event)).commit(), "detector event").isSucceeded();
  }

  /** The detector events from {@code fromMs} up to (not including) {@code toMs}, oldest first. */
  public List<DetectorEventRecord> detectorEvents(long fromMs, long toMs) {
    List<DetectorEventRecord> events = new ArrayList<>();
    if (toMs <= fromMs) {
      return events;
    }
    pages.scan(bytes(keys.detectorEventsBefore(fromMs)), bytes(keys.detectorEventsBefore(toMs)),
        0, false, kvp -> events.add(RecordCodec.decodeDetectorEvent(
            kvp.getKey().toString(StandardCharsets.UTF_8), kvp.getValue().getBytes())));
    return events;
  }

  /** Deletes the detector events older than {@code atMs}. */
  public void trimDetectorEventsBefore(long atMs) {
    await(kv.delete(bytes(keys.detectorEventsPrefix()), DeleteOption.builder()
        .withRange(bytes(keys.detectorEventsBefore(atMs))).build()), "detector events trim");
  }

  /**
   * The oldest retained changes' versions and times, at most {@code limit} of them, oldest first
   * (a change without a record is left out): how far back the history goes, and which changes
   * are older than a retention time.
   */
  public List<ChangeTime> oldestChanges(int limit) {
    GetResponse found = await(kv.get(bytes(keys.historyPrefix()), GetOption.builder()
        .isPrefix(true).withLimit(limit).build()), "history read");
    List<ChangeTime> times = new ArrayList<>();
    for (KeyValue kvp : found.getKvs()) {
      String key = kvp.getKey().toString(StandardCharsets.UTF_8);
      if (keys.parse(key) instanceof Key.History h) {
        times.add(new ChangeTime(h.version(),
            RecordCodec.decodeChange(key, kvp.getValue().getBytes()).getAt()));
      }
    }
    return times;
  }

  /** A retained change's version and when it was written (unix ms). */
  public record ChangeTime(long version, long atMs) {}

  private Op put(DetectorEventRecord event) {
    String unique = String.format("%08x", ThreadLocalRandom.current().nextInt());
    return Op.put(bytes(keys.detectorEvent(event.getAt(), unique)),
        ByteSequence.from(RecordCodec.encode(event)), PutOption.DEFAULT);
  }

  /** The running facade replicas ({@code P/facades/}, each on its replica's session lease). */
  public List<FacadeRecord> replicas() {
    GetResponse found = await(kv.get(bytes(keys.facadesPrefix()),
        GetOption.builder().isPrefix(true).build()), "replicas read");
    return found.getKvs().stream().map(kvp -> RecordCodec.decodeFacade(
        kvp.getKey().toString(StandardCharsets.UTF_8), kvp.getValue().getBytes())).toList();
  }

  /** The retained changes after {@code afterVersion} up to {@code upToVersion}, oldest first. */
  public List<RecordedChange> changes(long afterVersion, long upToVersion) {
    if (upToVersion <= afterVersion) {
      return List.of();
    }
    Map<Long, ChangeRecord> why = new HashMap<>();
    pages.scan(bytes(keys.history(afterVersion + 1)), bytes(keys.history(upToVersion + 1)), 0,
        false, kvp -> {
          String key = kvp.getKey().toString(StandardCharsets.UTF_8);
          if (keys.parse(key) instanceof Key.History h) {
            why.put(h.version(), RecordCodec.decodeChange(key, kvp.getValue().getBytes()));
          }
        });
    List<RecordedChange> changes = new ArrayList<>();
    pages.scan(bytes(keys.event(afterVersion + 1)), bytes(keys.event(upToVersion + 1)), 0, false,
        kvp -> changes.add(decode(kvp, why)));
    return changes;
  }

  /**
   * Seconds since each lease was last renewed, for the leases still alive: the TTL etcd granted
   * minus what remains, in etcd's whole seconds (so up to a second more than the truth). All are
   * asked at once; a lease etcd does not answer for within the etcd timeout is left out.
   */
  public Map<Long, Long> secondsSinceRenewal(Collection<Long> leaseIds) {
    return metrics.etcd("lease time-to-live", () -> {
      Map<Long, CompletableFuture<LeaseTimeToLiveResponse>> asked = new HashMap<>();
      for (long id : leaseIds) {
        asked.put(id, Deadlines.bound(leases.timeToLive(id, LeaseOption.DEFAULT), timeout,
            "lease time-to-live"));
      }
      Map<Long, Long> ages = new HashMap<>();
      asked.forEach((id, answer) -> {
        try {
          LeaseTimeToLiveResponse lease = answer.join();
          if (lease.getTTL() > 0) { // -1: expired or revoked
            ages.put(id, lease.getGrantedTTL() - lease.getTTL());
          }
        } catch (CompletionException e) {
          // unanswered: unknown this time
        }
      });
      return ages;
    });
  }

  private static RecordedChange decode(KeyValue kvp, Map<Long, ChangeRecord> why) {
    TopologyUpdate update = RecordCodec.decodeUpdate(kvp.getKey().toString(StandardCharsets.UTF_8),
        kvp.getValue().getBytes());
    return new RecordedChange(update, Optional.ofNullable(why.get(update.getVersion())));
  }

  private <T> T await(CompletableFuture<T> call, String operation) {
    return metrics.etcd(operation, () -> Deadlines.await(call, timeout, operation));
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }
}
