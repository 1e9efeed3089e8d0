package io.gitstratum.coordinator.facade.write;

import io.gitstratum.coordinator.client.topology.TopologyView;
import io.gitstratum.coordinator.facade.core.LivenessView;
import io.gitstratum.coordinator.facade.core.Transition;

/** A request as the write path runs it: a pure transition of the topology it is given. */
@FunctionalInterface
public interface Command<R> {
  Transition<R> apply(TopologyView topology, LivenessView liveness);
}
