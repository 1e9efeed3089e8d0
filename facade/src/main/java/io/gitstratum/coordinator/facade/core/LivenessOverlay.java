package io.gitstratum.coordinator.facade.core;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Liveness keys as they will be once some pending effects are written: lets several requests in
 * one batch see each other's effects. Not thread-safe.
 */
public final class LivenessOverlay implements LivenessView {
  private final LivenessView base;
  private final Map<String, Boolean> alive = new HashMap<>();
  private final Map<String, Boolean> grace = new HashMap<>();
  private final Map<String, Boolean> drained = new HashMap<>();

  public LivenessOverlay(LivenessView base) {
    this.base = base;
  }

  public void apply(List<LivenessEffect> effects) {
    for (LivenessEffect effect : effects) {
      String id = effect.nodeId();
      if (effect instanceof LivenessEffect.AttachAlive) {
        alive.put(id, true);
      } else if (effect instanceof LivenessEffect.StartGrace) {
        grace.put(id, true);
      } else if (effect instanceof LivenessEffect.ClearGrace) {
        grace.put(id, false);
      } else if (effect instanceof LivenessEffect.MarkDrained) {
        drained.put(id, true);
      } else if (effect instanceof LivenessEffect.ClearDrained) {
        drained.put(id, false);
      } else {
        alive.put(id, false);
        grace.put(id, false);
        drained.put(id, false);
      }
    }
  }

  @Override
  public boolean hasAlive(String nodeId) {
    Boolean pending = alive.get(nodeId);
    return pending != null ? pending : base.hasAlive(nodeId);
  }

  @Override
  public boolean hasGrace(String nodeId) {
    Boolean pending = grace.get(nodeId);
    return pending != null ? pending : base.hasGrace(nodeId);
  }

  @Override
  public boolean isDrained(String nodeId) {
    Boolean pending = drained.get(nodeId);
    return pending != null ? pending : base.isDrained(nodeId);
  }
}
