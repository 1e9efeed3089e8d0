package io.gitstratum.coordinator.facade.store;

/**
 * One key change seen by the prefix watch, free of jetcd types so that the cache is plain code.
 *
 * @param lease the lease the key is attached to (0 for none or for a delete)
 */
public record KvChange(String key, byte[] value, boolean deleted, long modRevision, long lease) {}
