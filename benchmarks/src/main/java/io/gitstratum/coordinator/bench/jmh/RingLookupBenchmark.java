package io.gitstratum.coordinator.bench.jmh;

import io.gitstratum.coordinator.client.ring.ConsistentHashRing;
import io.gitstratum.coordinator.client.ring.RingMember;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Replica lookup on a ring of 100 object nodes with 16 and 256 points each: a key (SHA-256 of
 * the key, then the walk) and a precomputed position (the walk alone).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingLookupBenchmark {
  private static final int KEYS = 1024; // a power of two: the index wraps with a mask

  @Param({"16", "256"})
  int virtualNodes;

  private ConsistentHashRing ring;
  private String[] keys;
  private long[] positions;
  private int next;

  @Setup
  public void setUp() {
    List<RingMember> members = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      members.add(new RingMember("obj-" + i, true));
    }
    ring = ConsistentHashRing.of(members, virtualNodes, 3);
    SplittableRandom random = new SplittableRandom(42);
    keys = new String[KEYS];
    positions = new long[KEYS];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "repo-" + random.nextLong() + "/objects/" + i;
      positions[i] = random.nextLong();
    }
    // Checks the fixture once: a lookup of a real key returns 3 distinct nodes.
    if (ring.replicasFor(keys[0]).size() != 3) {
      throw new IllegalStateException("ring fixture broken");
    }
  }

  @Benchmark
  public List<String> lookupKey() {
    return ring.replicasFor(keys[next++ & (KEYS - 1)]);
  }

  @Benchmark
  public List<String> lookupPosition() {
    return ring.replicasForPosition(positions[next++ & (KEYS - 1)]);
  }
}
