package io.gitstratum.coordinator.facade.security;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs a property on many seeded random inputs, in the normal test run and bounded. A failure
 * names the seed to reproduce it: {@code mvn test -Dgs.seed=<seed>}; {@code -Dgs.tries=<n>}
 * scales the number of tries (a property passes its own default).
 */
final class Trials {
  static final long SEED = Long.getLong("gs.seed", System.nanoTime());

  private Trials() {}

  static void forAll(String what, int defaultTries, Consumer<Random> property) {
    int tries = Integer.getInteger("gs.tries", defaultTries);
    Random seeds = new Random(SEED ^ what.hashCode());
    for (int i = 0; i < tries; i++) {
      long seed = seeds.nextLong();
      try {
        property.accept(new Random(seed));
      } catch (Throwable t) {
        throw new AssertionError(what + " failed at try " + i + " (reproduce with -Dgs.seed="
            + SEED + "): " + t, t);
      }
    }
  }
}
