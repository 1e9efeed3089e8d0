package io.gitstratum.coordinator.client.agent;

import io.gitstratum.coordinator.client.errors.ZombieGenerationException;

/**
 * Hears what a {@link NodeAgent} learns from its heartbeats. Called from the agent's heartbeat
 * thread (or from the thread of {@code markReady}/{@code drain}), one call at a time; must not
 * block for long, since heartbeats wait for it. Every method defaults to doing nothing.
 */
public interface NodeAgentListener {

  /**
   * The facade's topology is newer than the version the agent last reported
   * ({@code refresh_required}): a service that caches the topology should refresh it. The agent
   * reports {@code currentVersion} as known from the next heartbeat on.
   */
  default void refreshRequired(long currentVersion) {}

  /** The facade did not know the node any more (NOT_FOUND) and the agent registered it again. */
  default void reregistered() {}

  /**
   * Another process registered this node id with another generation: this process must stop
   * serving as the node. The agent has stopped ({@link AgentState#REPLACED}). Called once.
   */
  default void stopped(ZombieGenerationException cause) {}
}
