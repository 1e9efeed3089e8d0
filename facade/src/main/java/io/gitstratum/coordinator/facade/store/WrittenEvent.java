package io.gitstratum.coordinator.facade.store;

import io.gitstratum.coordinator.proto.TopologyUpdate;

/**
 * A change event as a replica writes it: its key, the bytes put there, and the change they
 * encode (so that whoever meets the same bytes under the same key need not parse them again).
 */
public record WrittenEvent(String key, byte[] value, TopologyUpdate update) {}
