package io.gitstratum.coordinator.facade.core;

import io.gitstratum.coordinator.proto.NodeInfo;

/**
 * What a heartbeat decided.
 *
 * @param version the topology version after it
 * @param node the node as it is after it
 */
public record HeartbeatOutcome(long version, NodeInfo node) {}
