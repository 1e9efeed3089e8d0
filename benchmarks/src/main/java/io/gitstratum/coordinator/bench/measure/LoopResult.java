package io.gitstratum.coordinator.bench.measure;

/**
 * What a closed loop measured.
 *
 * @param ops operations completed inside the measured window
 * @param errors failed operations inside the window
 * @param seconds length of the measured window
 * @param totalOps every operation including the warm-up (for per-operation counter deltas)
 * @param firstError the first failure's description, empty when none
 */
public record LoopResult(long ops, long errors, double seconds, long totalOps,
    Latencies latencies, String firstError) {

  public double perSecond() {
    return ops / seconds;
  }
}
