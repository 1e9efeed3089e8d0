package io.gitstratum.coordinator.facade.server;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of a replica in the one order they start; they stop in the reverse order. A start
 * that fails stops what had started, then fails. A part that exists from construction (a bound
 * port, a thread pool, the etcd client) is added with nothing to start, so that it is released
 * even when a later start fails. Used from one thread at a time.
 */
final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  /** Starting or stopping one part. */
  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  private record Part(String name, Step start, Step stop) {}

  private static final Step NOTHING = () -> {};

  private final List<Part> parts = new ArrayList<>();
  private int started;

  /** A part that starts with {@code start} and stops with {@code stop}. */
  Lifecycle add(String name, Step start, Step stop) {
    parts.add(new Part(name, start, stop));
    return this;
  }

  /** A part that exists already and only needs releasing. */
  Lifecycle release(String name, Step stop) {
    return add(name, NOTHING, stop);
  }

  /** A part that only starts (it stops with another one). */
  Lifecycle begin(String name, Step start) {
    return add(name, start, NOTHING);
  }

  /**
   * Starts every part in order.
   *
   * @throws Exception what the failed start threw, after the parts started before it stopped
   */
  void start() throws Exception {
    while (started < parts.size()) {
      Part part = parts.get(started);
      long begun = System.nanoTime();
      try {
        part.start().run();
        // Where a start's time goes, for whoever tunes it (GS_LOG_LEVEL=DEBUG).
        log.debug("started {} in {} ms", part.name(), (System.nanoTime() - begun) / 1_000_000);
      } catch (Exception e) {
        log.debug("{} did not start: {}", part.name(), e.toString());
        stop();
        throw e;
      }
      started++;
    }
  }

  /** Stops every started part in reverse order; one that fails is logged and the rest still stop. */
  void stop() {
    while (started > 0) {
      Part part = parts.get(--started);
      try {
        part.stop().run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        log.warn("interrupted while stopping {}", part.name());
      } catch (Exception e) {
        log.warn("stopping {} failed: {}", part.name(), e.toString());
      }
    }
  }
}
