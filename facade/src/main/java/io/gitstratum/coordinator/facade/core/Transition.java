package io.gitstratum.coordinator.facade.core;

import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;

/**
 * What a request does to a topology: the change events it adds (empty when it changes nothing)
 * and the answer for the caller. The new topology is the old one with {@code updates} applied.
 *
 * @param updates change events numbered from the view's version + 1, in order
 * @param response the caller's answer, already carrying the resulting version
 */
public record Transition<R>(List<TopologyUpdate> updates, R response) {
  public Transition {
    updates = List.copyOf(updates);
  }

  public boolean changes() {
    return !updates.isEmpty();
  }
}
