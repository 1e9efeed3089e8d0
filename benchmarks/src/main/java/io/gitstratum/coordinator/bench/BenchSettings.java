package io.gitstratum.coordinator.bench;

import java.time.Duration;
import java.util.List;

/**
 * Sizes and durations of one run. {@link #quick()} checks that everything works in a few
 * minutes; {@link #full()} is what the README's results come from. Each workload states the
 * time it needs with these settings ({@link Workload#budget}), and the runner enforces it.
 *
 * @param facadeWarmup unmeasured load on a freshly started replica JVM before its first
 *     measurement (the JIT needs tens of seconds on two cores; a real replica runs for days)
 * @param warmup closed-loop warm-up before each measured window (JIT, connections)
 * @param window closed-loop measured window
 * @param watchRounds changes per fan-out measurement (p99 of this many samples)
 * @param detectionSamples nodes (and raw leases) that stop, one after another
 * @param capacitySteps node counts of the capacity probe, in order
 * @param capacityHold how long each capacity step is measured after its warm interval
 * @param capacityLastHold how long the last step is measured (the issue asks for 2 minutes)
 * @param stormRegistrations nodes of the registration storm (issue 23)
 * @param stormFleet nodes of the revival, silence and deregistration storms (issue 23)
 */
public record BenchSettings(String mode, Duration facadeWarmup, Duration warmup,
    Duration window, int watchRounds, int detectionSamples, List<Integer> capacitySteps,
    Duration capacityHold, Duration capacityLastHold, int stormRegistrations, int stormFleet) {

  public static BenchSettings quick() {
    return new BenchSettings("quick", Duration.ofSeconds(5), Duration.ofSeconds(1),
        Duration.ofSeconds(3), 30, 6,
        List.of(5_000, 10_000, 20_000, 30_000), Duration.ofSeconds(10), Duration.ofSeconds(10),
        20_000, 5_000);
  }

  public static BenchSettings full() {
    return new BenchSettings("full", Duration.ofSeconds(10), Duration.ofSeconds(2),
        Duration.ofSeconds(6), 100, 10,
        List.of(5_000, 10_000, 20_000, 25_000, 30_000), Duration.ofSeconds(15),
        Duration.ofSeconds(120), 100_000, 10_000);
  }

  /** The time of {@code n} closed loops (warm-up and window each). */
  public Duration closedLoops(int n) {
    return warmup.plus(window).multipliedBy(n);
  }

  public BenchSettings withStormNodes(int registrations, int fleet) {
    return new BenchSettings(mode, facadeWarmup, warmup, window, watchRounds, detectionSamples,
        capacitySteps, capacityHold, capacityLastHold, registrations, fleet);
  }

  public BenchSettings withCapacitySteps(List<Integer> steps) {
    return new BenchSettings(mode, facadeWarmup, warmup, window, watchRounds, detectionSamples,
        List.copyOf(steps), capacityHold, capacityLastHold, stormRegistrations, stormFleet);
  }
}
