package io.gitstratum.coordinator.bench.measure;

import java.util.Arrays;

/**
 * Recorded latencies (nanoseconds) with exact percentiles. Memory is bounded: past
 * {@code capacity} samples, new ones are counted but not kept (the report says so through
 * {@link #dropped()}). Thread-safe.
 */
public final class Latencies {
  private final long[] samples;
  private int size;
  private long dropped;

  public Latencies(int capacity) {
    this.samples = new long[capacity];
  }

  public synchronized void add(long nanos) {
    if (size < samples.length) {
      samples[size++] = nanos;
    } else {
      dropped++;
    }
  }

  public synchronized int count() {
    return size;
  }

  public synchronized long dropped() {
    return dropped;
  }

  /** The {@code p}-th percentile (0 < p <= 100) in milliseconds, nearest rank; NaN if empty. */
  public double percentileMs(double p) {
    long[] sorted = sorted();
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
  }

  public double meanMs() {
    long[] sorted = sorted();
    return sorted.length == 0 ? Double.NaN
        : Arrays.stream(sorted).average().orElse(Double.NaN) / 1e6;
  }

  public double maxMs() {
    return percentileMs(100);
  }

  private synchronized long[] sorted() {
    long[] copy = Arrays.copyOf(samples, size);
    Arrays.sort(copy);
    return copy;
  }
}
