package io.gitstratum.coordinator.schema.codec;

/**
 * A value read from etcd that cannot be decoded. Never treated as an empty or default record: the
 * caller fails the operation (the facade reports INTERNAL and logs the key).
 */
public final class CorruptRecordException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public CorruptRecordException(String key, String reason, Throwable cause) {
    super("corrupt record at " + key + ": " + reason, cause);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
