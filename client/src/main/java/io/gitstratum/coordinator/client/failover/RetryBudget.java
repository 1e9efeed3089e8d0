package io.gitstratum.coordinator.client.failover;

/**
 * How many retries a client may still make, so that retries cannot multiply the load on
 * replicas that already fail: a token bucket like gRPC's retry throttling. The bucket starts
 * full ({@code maxTokens}); every failed attempt takes one token, every successful call gives
 * back {@code tokenRatio}; a retry is allowed only while more than half the tokens are left.
 * So once failures outnumber successes by more than one in {@code 1 / tokenRatio}, calls make
 * their first attempt only, until successes refill the bucket.
 *
 * <p>Thread-safe; one per client.
 */
final class RetryBudget {
  /** Tokens are counted in thousandths, as gRPC does, so a ratio such as 0.1 adds up exactly. */
  private static final long SCALE = 1000;

  private final long maxMilliTokens;
  private final long ratioMilliTokens;
  private long milliTokens; // guarded by this

  /**
   * @param maxTokens the bucket's size, at least 1 (gRPC's example: 10)
   * @param tokenRatio what one success gives back, in (0, 1] (gRPC's example: 0.1)
   */
  RetryBudget(int maxTokens, double tokenRatio) {
    if (maxTokens < 1 || !(tokenRatio > 0 && tokenRatio <= 1)) {
      throw new IllegalArgumentException("need maxTokens >= 1 and 0 < tokenRatio <= 1, got "
          + maxTokens + ", " + tokenRatio);
    }
    this.maxMilliTokens = maxTokens * SCALE;
    this.ratioMilliTokens = Math.max(1, Math.round(tokenRatio * SCALE));
    this.milliTokens = maxMilliTokens;
  }

  /** A call succeeded. */
  synchronized void succeeded() {
    milliTokens = Math.min(maxMilliTokens, milliTokens + ratioMilliTokens);
  }

  /** An attempt failed in a way a retry might fix. */
  synchronized void failed() {
    milliTokens = Math.max(0, milliTokens - SCALE);
  }

  /** Whether one more retry (or an attempt past every open circuit) is allowed now. */
  synchronized boolean allowsRetry() {
    return milliTokens > maxMilliTokens / 2;
  }

  /** Tokens left (for tests and logs). */
  synchronized double tokens() {
    return (double) milliTokens / SCALE;
  }
}
