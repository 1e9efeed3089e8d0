package io.gitstratum.coordinator.facade.write;

import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The liveness keys a batch writes, one write per key. Several commands in one batch may touch
 * the same key (a lapsed lease re-attached, then a new generation registered): etcd applies a
 * transaction's writes so that the last one of a key wins, and the cache must end the same way,
 * or the replica renews a lease that is no longer attached. Collapsing before leases are
 * granted also means no lease is granted only to be dropped. Pure.
 */
final class LivenessWrites {
  private LivenessWrites() {}

  /**
   * The writes of {@code effects} in order, the last per key kept; puts carry lease 0 until
   * {@link #withLeases} fills them in.
   */
  static List<KeyWrite> plan(List<LivenessEffect> effects) {
    Map<String, KeyWrite> byKey = new LinkedHashMap<>();
    for (LivenessEffect effect : effects) {
      String id = effect.nodeId();
      if (effect instanceof LivenessEffect.AttachAlive alive) {
        put(byKey, "alive", new KeyWrite.PutAlive(id, alive.generation(), 0));
      } else if (effect instanceof LivenessEffect.StartGrace) {
        put(byKey, "grace", new KeyWrite.PutGrace(id, 0));
      } else if (effect instanceof LivenessEffect.ClearGrace) {
        put(byKey, "grace", new KeyWrite.DeleteGrace(id));
      } else if (effect instanceof LivenessEffect.MarkDrained drained) {
        put(byKey, "drained", new KeyWrite.PutDrained(id, drained.generation()));
      } else if (effect instanceof LivenessEffect.ClearDrained) {
        put(byKey, "drained", new KeyWrite.DeleteDrained(id));
      } else {
        put(byKey, "alive", new KeyWrite.DeleteAlive(id));
        put(byKey, "grace", new KeyWrite.DeleteGrace(id));
        put(byKey, "drained", new KeyWrite.DeleteDrained(id));
      }
    }
    return List.copyOf(byKey.values());
  }

  // Removing first moves a rewritten key to the end, where its last write happened.
  private static void put(Map<String, KeyWrite> byKey, String kind, KeyWrite write) {
    String key = kind + "/" + write.nodeId();
    byKey.remove(key);
    byKey.put(key, write);
  }

  /** {@code planned} with its puts' leases, one per put in order. */
  static List<KeyWrite> withLeases(List<KeyWrite> planned, List<Long> leases) {
    Iterator<Long> next = leases.iterator();
    List<KeyWrite> out = new ArrayList<>(planned.size());
    for (KeyWrite write : planned) {
      if (write instanceof KeyWrite.PutAlive alive) {
        out.add(new KeyWrite.PutAlive(alive.nodeId(), alive.generation(), next.next()));
      } else if (write instanceof KeyWrite.PutGrace grace) {
        out.add(new KeyWrite.PutGrace(grace.nodeId(), next.next()));
      } else {
        out.add(write);
      }
    }
    return out;
  }
}
