package io.gitstratum.coordinator.facade.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyGapException;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import io.gitstratum.coordinator.facade.store.KvChange;
import io.gitstratum.coordinator.facade.store.StoreSnapshot;
import io.gitstratum.coordinator.facade.store.WrittenEvent;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopologyCacheTest {
  private final Keyspace keys = Keyspace.defaults();
  private final TopologyCache cache = new TopologyCache(keys);
  private final List<List<TopologyUpdate>> delivered = new ArrayList<>();

  TopologyCacheTest() {
    cache.addListener(new TopologyCache.Listener() {
      @Override
      public void onUpdates(List<TopologyUpdate> updates, TopologyCache.State after) {
        delivered.add(updates);
      }

      @Override
      public void onResync(TopologyCache.State before, TopologyCache.State after) {}
    });
  }

  private static TopologyUpdate added(long version, String id) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version - 1)
        .setNodeAdded(NodeInfo.newBuilder().setId(id)).build();
  }

  private KvChange event(TopologyUpdate update, long revision) {
    return new KvChange(keys.event(update.getVersion()), RecordCodec.encode(update), false,
        revision, 0);
  }

  private KvChange version(long version, long revision) {
    return new KvChange(keys.version(), RecordCodec.encodeVersion(version), false, revision, 0);
  }

  @Test
  void appliesATransactionsEventsInVersionOrder() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    // A batch commit: etcd returns keys sorted, and events/...10 sorts after events/...9.
    cache.apply(List.of(event(added(2, "b"), 11), event(added(1, "a"), 11), version(2, 11)));
    TopologyCache.State state = cache.state();
    assertEquals(2, state.topology().version());
    assertEquals(11, state.versionModRevision());
    assertTrue(state.topology().node("a").isPresent());
    assertEquals(List.of(1L, 2L), delivered.get(0).stream().map(TopologyUpdate::getVersion).toList());
  }

  @Test
  void anEventThisReplicaIsWritingIsTakenAsWrittenNotParsedAgain() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    TopologyUpdate written = added(1, "a");
    // Marked so that a parse of the bytes could not produce it: taken, not parsed.
    TopologyUpdate marked = written.toBuilder().setNodeAdded(written.getNodeAdded().toBuilder()
        .setAddress("from-the-writer")).build();
    KvChange arriving = event(written, 11);
    cache.expect(List.of(new WrittenEvent(arriving.key(), arriving.value(), marked)));

    cache.apply(List.of(arriving, version(1, 11)));

    assertEquals("from-the-writer", cache.state().topology().node("a").orElseThrow().getAddress());
    assertEquals(0, cache.eventsInFlight());
  }

  @Test
  void anotherReplicasEventAtTheSameVersionIsParsed() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    TopologyUpdate mine = added(1, "mine");
    cache.expect(List.of(new WrittenEvent(keys.event(1), RecordCodec.encode(mine), mine)));

    cache.apply(List.of(event(added(1, "theirs"), 11), version(1, 11)));

    assertTrue(cache.state().topology().node("theirs").isPresent());
    assertTrue(cache.state().topology().node("mine").isEmpty());
    assertEquals(0, cache.eventsInFlight());
  }

  @Test
  void aCommitAppliedByTheWriterFirstLeavesNothingExpected() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    TopologyUpdate update = added(1, "a");
    cache.expect(List.of(new WrittenEvent(keys.event(1), RecordCodec.encode(update), update)));

    cache.applyCommitted(11, List.of(update), List.of());

    assertEquals(0, cache.eventsInFlight());
    cache.apply(List.of(event(update, 11), version(1, 11))); // the watch, later: a no-op
    assertEquals(1, cache.state().topology().version());
  }

  @Test
  void eventsOfCommitsThatNeverLandAreForgottenPastTheBound() {
    List<WrittenEvent> batch = new ArrayList<>();
    for (int v = 1; v <= 1_000; v++) {
      TopologyUpdate update = added(v, "n" + v);
      batch.add(new WrittenEvent(keys.event(v), RecordCodec.encode(update), update));
    }
    for (int i = 0; i < 10; i++) {
      cache.expect(batch); // lost compares: the same versions again and again, and more
      assertTrue(cache.eventsInFlight() <= EventsInFlight.MAX);
    }
  }

  @Test
  void ignoresRevisionsAlreadyInTheSnapshot() {
    cache.reset(new StoreSnapshot(Topology.empty().apply(added(1, "a")), Map.of(), Map.of(), 20, 20, 1));
    cache.apply(List.of(event(added(1, "a"), 20), version(1, 20)));
    assertEquals(1, cache.state().topology().version());
    assertTrue(delivered.isEmpty());
  }

  @Test
  void aReadOlderThanACommitAlreadyAppliedIsRefused() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    // The supervisor's resync read is taken at revision 11; meanwhile this replica commits
    // version 1 at revision 12 and applies it. Applying the read now would undo version 1.
    StoreSnapshot staleRead = new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 11, 0, 1);
    cache.applyCommitted(12, List.of(added(1, "a")),
        List.of(new KeyWrite.PutAlive("a", "g", 77)));

    assertFalse(cache.reset(staleRead), "an older read is refused");
    assertEquals(1, cache.state().topology().version());
    assertEquals(77, cache.aliveLease("a").orElseThrow());

    StoreSnapshot fresh = new StoreSnapshot(Topology.empty().apply(added(1, "a")),
        Map.of("a", 77L), Map.of(), 12, 12, 1);
    assertTrue(cache.reset(fresh), "a read at or after the commit is taken");
    assertEquals(1, cache.state().topology().version());
    assertTrue(cache.reset(staleRead, true), "etcd restored from a backup: taken when forced");
    assertEquals(0, cache.state().topology().version());
  }

  @Test
  void aResyncTellsTheLeasesOfGraceKeys() {
    // The detector renews a grace key it first sees in a resync: it needs the key's lease.
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of("a", 9L), 10, 0, 1));
    assertTrue(cache.liveness().hasGrace("a"));
    assertEquals(9, cache.graceLease("a").orElseThrow());
    assertTrue(cache.graceLease("b").isEmpty());
  }

  @Test
  void anOlderReattachArrivingAfterThisReplicasDeleteDoesNotBringTheKeyBack() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of("a", 5L), Map.of(), 10, 0, 1));
    // This replica deletes a's alive key at revision 13 and applies it at once; the watch then
    // brings another replica's re-attach of revision 12 (lease 6), then the delete itself.
    cache.applyCommitted(13, List.of(), List.of(new KeyWrite.DeleteAlive("a")));
    assertFalse(cache.liveness().hasAlive("a"));
    cache.apply(List.of(new KvChange(keys.alive("a"), new byte[0], false, 12, 6)));
    assertFalse(cache.liveness().hasAlive("a"), "the newer delete holds");
    assertTrue(cache.aliveLease("a").isEmpty(), "no lease to renew that no key carries");
    cache.apply(List.of(new KvChange(keys.alive("a"), new byte[0], true, 13, 0)));
    // Past the delete, a later re-attach is taken as usual.
    cache.apply(List.of(new KvChange(keys.alive("a"), new byte[0], false, 14, 7)));
    assertEquals(7, cache.aliveLease("a").orElseThrow());
  }

  @Test
  void aGapIsAnErrorNotASkip() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 5, 0, 1));
    assertThrows(TopologyGapException.class,
        () -> cache.apply(List.of(event(added(2, "b"), 6), version(2, 6))));
    assertEquals(0, cache.state().topology().version());
  }

  @Test
  void ringConfigWrittenAtBootstrapIsApplied() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 1, 0, 1));
    HashRingConfig config = HashRingConfig.newBuilder().setReplicationFactor(2).build();
    cache.apply(List.of(new KvChange(keys.ringConfig(), RecordCodec.encode(config), false, 2, 0)));
    assertEquals(config, cache.state().topology().ringConfig());
    assertEquals(0, cache.state().topology().version());
  }

  @Test
  void awaitsTheVersionRevision() throws InterruptedException {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 1, 0, 1));
    assertFalse(cache.awaitVersionRevision(3, Duration.ofMillis(20)));
    cache.apply(List.of(event(added(1, "a"), 3), version(1, 3)));
    assertTrue(cache.awaitVersionRevision(3, Duration.ZERO));
  }

  private KvChange alive(String id, long lease, long revision) {
    return new KvChange(keys.alive(id), "g".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        lease == 0, revision, lease);
  }

  @Test
  void aCommitAppliedDirectlyIsNotAppliedAgainWhenTheWatchBringsIt() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    cache.applyCommitted(11, List.of(added(1, "a"), added(2, "b")),
        List.of(new KeyWrite.PutAlive("a", "g", 77)));
    assertEquals(2, cache.state().topology().version());
    assertEquals(11, cache.state().versionModRevision());
    assertEquals(10, cache.state().revision()); // the watch has not delivered it yet
    assertEquals(77, cache.aliveLease("a").getAsLong());

    cache.apply(List.of(event(added(1, "a"), 11), event(added(2, "b"), 11), version(2, 11),
        alive("a", 77, 11)));
    assertEquals(2, cache.state().topology().version());
    assertEquals(11, cache.state().revision());
    assertEquals(1, delivered.size(), "listeners hear of each change once");
    assertEquals(List.of(1L, 2L), delivered.get(0).stream().map(TopologyUpdate::getVersion).toList());
  }

  @Test
  void aLateWatchEventCannotUndoAnAliveKeyFromANewerCommit() {
    cache.reset(new StoreSnapshot(Topology.empty().apply(added(1, "a")), Map.of("a", 5L),
        Map.of(), 10, 10, 1));
    // The node re-registered with lease 6 at revision 12, committed by this replica ...
    cache.applyCommitted(12, List.of(), List.of(new KeyWrite.PutAlive("a", "g", 6)));
    // ... while the watch still brings the expiry of lease 5 at revision 11.
    cache.apply(List.of(alive("a", 0, 11)));
    assertEquals(6, cache.aliveLease("a").getAsLong());
    assertTrue(cache.liveness().hasAlive("a"));
    cache.apply(List.of(alive("a", 0, 13)));
    assertFalse(cache.liveness().hasAlive("a"));
  }

  @Test
  void aCommitTheWatchAlreadyDeliveredChangesNothing() {
    cache.reset(new StoreSnapshot(Topology.empty(), Map.of(), Map.of(), 10, 0, 1));
    cache.apply(List.of(event(added(1, "a"), 11), version(1, 11)));
    cache.applyCommitted(11, List.of(added(1, "a")), List.of());
    assertEquals(1, cache.state().topology().version());
    assertEquals(1, delivered.size());
  }
}
