package io.gitstratum.coordinator.facade.cache;

import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import io.gitstratum.coordinator.facade.store.StoreSnapshot;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes' alive and grace keys as {@link TopologyCache} last saw them. They change
 * independently of versions, so they are not part of its versioned state. Each entry keeps the
 * revision that wrote it, so a late watch event about an older revision cannot undo what this
 * replica's own commit already applied. A deleted key keeps its revision too (a tombstone, lease
 * 0) until the watch has passed that revision: without it, another replica's older re-attach
 * arriving after this replica's own delete brought the key back until the delete came round,
 * and a heartbeat meanwhile renewed a lease no key carried.
 *
 * <p>Threading: written only by {@link TopologyCache} while it holds its lock (a write reads the
 * entry before replacing it, so writes must not interleave); read from any thread without a lock.
 */
final class LivenessKeys implements LivenessView {
  /**
   * A node's alive or grace key: its lease (0 when unknown) and the revision that wrote it;
   * {@code deleted}: a tombstone.
   */
  private record LeasedKey(long lease, long revision, boolean deleted) {
    LeasedKey(long lease, long revision) {
      this(lease, revision, false);
    }
  }

  /** A tombstone to drop once the watch has passed its revision. */
  private record Tombstone(Map<String, LeasedKey> keys, String nodeId, long revision) {}

  private final Map<String, LeasedKey> alive = new ConcurrentHashMap<>();
  private final Map<String, LeasedKey> grace = new ConcurrentHashMap<>();
  private final Map<String, LeasedKey> drained = new ConcurrentHashMap<>(); // lease: 1 if there
  private final Deque<Tombstone> tombstones = new ArrayDeque<>(); // in revision order, mostly

  @Override
  public boolean hasAlive(String nodeId) {
    return present(alive.get(nodeId));
  }

  @Override
  public boolean hasGrace(String nodeId) {
    return present(grace.get(nodeId));
  }

  @Override
  public boolean isDrained(String nodeId) {
    return present(drained.get(nodeId));
  }

  private static boolean present(LeasedKey key) {
    return key != null && !key.deleted();
  }

  /** The lease of the node's alive key, if it has one. */
  OptionalLong aliveLease(String nodeId) {
    LeasedKey key = alive.get(nodeId);
    return !present(key) ? OptionalLong.empty() : OptionalLong.of(key.lease());
  }

  /** The lease of the node's grace key, if it has one. */
  OptionalLong graceLease(String nodeId) {
    LeasedKey key = grace.get(nodeId);
    return !present(key) || key.lease() == 0 ? OptionalLong.empty()
        : OptionalLong.of(key.lease());
  }

  /** Replaces every key with a fresh read's. */
  void reset(StoreSnapshot snapshot) {
    long revision = snapshot.revision();
    tombstones.clear();
    alive.keySet().retainAll(snapshot.alive().keySet());
    snapshot.alive().forEach((id, lease) -> alive.put(id, new LeasedKey(lease, revision)));
    grace.keySet().retainAll(snapshot.grace().keySet());
    snapshot.grace().forEach((id, lease) -> grace.put(id, new LeasedKey(lease, revision)));
    drained.keySet().retainAll(snapshot.drained());
    snapshot.drained().forEach(id -> drained.put(id, new LeasedKey(1, revision)));
  }

  /**
   * Records the node's alive key at {@code revision} (lease 0: deleted).
   *
   * @return false when it changed nothing: a newer revision already wrote the key
   */
  boolean setAlive(String nodeId, long lease, long revision) {
    return set(alive, nodeId, lease, revision);
  }

  /** As {@link #setAlive}, for the node's grace key. */
  boolean setGrace(String nodeId, long lease, long revision) {
    return set(grace, nodeId, lease, revision);
  }

  /** As {@link #setAlive}, for the node's drain mark (no lease: present or not). */
  boolean setDrained(String nodeId, boolean present, long revision) {
    return set(drained, nodeId, present ? 1 : 0, revision);
  }

  /** Records a key this replica committed at {@code revision}; as {@link #setAlive}. */
  boolean apply(KeyWrite write, long revision) {
    if (write instanceof KeyWrite.PutAlive put) {
      return setAlive(put.nodeId(), put.lease(), revision);
    } else if (write instanceof KeyWrite.DeleteAlive) {
      return setAlive(write.nodeId(), 0, revision);
    } else if (write instanceof KeyWrite.PutGrace put) {
      return setGrace(put.nodeId(), put.lease(), revision);
    } else if (write instanceof KeyWrite.PutDrained || write instanceof KeyWrite.DeleteDrained) {
      return setDrained(write.nodeId(), write instanceof KeyWrite.PutDrained, revision);
    } else {
      return setGrace(write.nodeId(), 0, revision);
    }
  }

  private boolean set(Map<String, LeasedKey> keys, String nodeId, long lease, long revision) {
    LeasedKey seen = keys.get(nodeId);
    if (seen != null && seen.revision() >= revision) {
      return false;
    }
    if (lease == 0) {
      keys.put(nodeId, new LeasedKey(0, revision, true));
      tombstones.addLast(new Tombstone(keys, nodeId, revision));
    } else {
      keys.put(nodeId, new LeasedKey(lease, revision));
    }
    return true;
  }

  /** The watch has delivered every revision up to {@code revision}: older events cannot come. */
  void watchedThrough(long revision) {
    // Mostly in revision order; one ahead (this replica's own commit) holds the rest back a
    // little, never a tombstone too early.
    while (!tombstones.isEmpty() && tombstones.peekFirst().revision() <= revision) {
      Tombstone t = tombstones.pollFirst();
      t.keys().computeIfPresent(t.nodeId(), (id, key) -> key.deleted()
          && key.revision() <= revision ? null : key);
    }
  }

}
