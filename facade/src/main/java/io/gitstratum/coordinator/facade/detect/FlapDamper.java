package io.gitstratum.coordinator.facade.detect;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Flap damping (pure, time passed in): a node suspected {@code suspicions} times within
 * {@code window} gets a doubled suspect timeout, i.e. the detector waits one more suspect timeout
 * after its lease lapses before suspecting it again, until its suspicions age out of the window.
 *
 * <p>The history lives in the leader's memory; a new leader rebuilds it from etcd's change
 * history ({@link DetectorMemory}). Suspicions older than the window are dropped as
 * new ones arrive, so the memory holds only the nodes suspected within the window, not every
 * node ever suspected. Not thread-safe; the detector's thread owns it.
 */
final class FlapDamper {
  private final int suspicions;
  private final long windowMs;
  private final long extraDelayMs;
  private final Map<String, Deque<Long>> history = new HashMap<>();
  // Every suspicion in time order: the oldest are pruned from the history as new ones come.
  private final Deque<Suspicion> byTime = new ArrayDeque<>();

  private record Suspicion(String nodeId, long atMs) {}

  FlapDamper(int suspicions, Duration window, Duration suspectTimeout) {
    this.suspicions = suspicions;
    this.windowMs = window.toMillis();
    this.extraDelayMs = suspectTimeout.toMillis();
  }

  void suspected(String nodeId, long nowMs) {
    while (!byTime.isEmpty() && nowMs - byTime.peekFirst().atMs() > windowMs) {
      String aged = byTime.pollFirst().nodeId();
      Deque<Long> times = history.get(aged);
      if (times != null) {
        times.removeIf(t -> nowMs - t > windowMs);
        if (times.isEmpty()) {
          history.remove(aged);
        }
      }
    }
    byTime.addLast(new Suspicion(nodeId, nowMs));
    Deque<Long> times = history.computeIfAbsent(nodeId, id -> new ArrayDeque<>());
    times.addLast(nowMs);
    while (times.size() > suspicions) {
      times.removeFirst();
    }
  }

  /** How long after its lease lapsed the node may be suspected. */
  long extraDelayMs(String nodeId, long nowMs) {
    Deque<Long> times = history.get(nodeId);
    if (times == null) {
      return 0;
    }
    times.removeIf(t -> nowMs - t > windowMs);
    if (times.isEmpty()) {
      history.remove(nodeId);
      return 0;
    }
    return times.size() >= suspicions ? extraDelayMs : 0;
  }

  void forget(String nodeId) {
    history.remove(nodeId);
  }

  void clear() {
    history.clear();
    byTime.clear();
  }

  /** Nodes with suspicions remembered (for tests). */
  int remembered() {
    return history.size();
  }
}
