package io.gitstratum.coordinator.facade.core;

import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import java.util.ArrayList;
import java.util.List;

/**
 * What a request does to a topology: the change events it adds (empty when it changes nothing),
 * the liveness keys to write with them, and the answer for the caller. The new topology is the
 * old one with {@code updates} applied.
 *
 * @param updates change events numbered from the view's version + 1, in order
 * @param effects liveness keys to write in the same transaction
 * @param guards liveness keys the decision rests on; etcd checks them in the same transaction
 * @param response the caller's answer, already carrying the resulting version
 * @param reason why the updates happen, recorded with each in the change history
 */
public record Transition<R>(List<TopologyUpdate> updates, List<LivenessEffect> effects,
    List<LivenessGuard> guards, R response, ChangeReason reason) {
  public Transition {
    updates = List.copyOf(updates);
    effects = List.copyOf(effects);
    guards = List.copyOf(guards);
  }

  public Transition(List<TopologyUpdate> updates, List<LivenessEffect> effects,
      List<LivenessGuard> guards, R response) {
    this(updates, effects, guards, response, ChangeReason.CHANGE_REASON_UNSPECIFIED);
  }

  public Transition(List<TopologyUpdate> updates, List<LivenessEffect> effects, R response) {
    this(updates, effects, List.of(), response);
  }

  public Transition(List<TopologyUpdate> updates, R response) {
    this(updates, List.of(), List.of(), response);
  }

  /** This transition, its updates recorded as happening for {@code why}. */
  public Transition<R> because(ChangeReason why) {
    return new Transition<>(updates, effects, guards, response, why);
  }

  /** This transition, valid only while {@code guard} holds too (a no-op changes nothing). */
  public Transition<R> guardedBy(LivenessGuard guard) {
    if (!changes()) {
      return this;
    }
    List<LivenessGuard> more = new ArrayList<>(guards);
    more.add(guard);
    return new Transition<>(updates, effects, more, response, reason);
  }

  /** Whether anything must be written. */
  public boolean changes() {
    return !updates.isEmpty() || !effects.isEmpty();
  }
}
