package io.gitstratum.coordinator.facade.write;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.gitstratum.coordinator.client.topology.TopologyView;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.core.Transition;
import io.gitstratum.coordinator.facade.core.UnavailableException;
import io.gitstratum.coordinator.facade.store.CommitResult;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path: compute a transition on the cached topology, commit it as one compare-and-swap
 * transaction on the version key, and on a lost compare wait for the cache to catch up and
 * recompute (bounded, jittered retries). Answers only after this replica's cache holds the
 * change, so a client reads its own write on the replica it wrote through.
 *
 * <p>Thread-safe; callers block for at most about (attempts × etcd timeout).
 */
public final class TopologyWriter {
  private static final Logger log = LoggerFactory.getLogger(TopologyWriter.class);

  private final EtcdTopologyStore store;
  private final TopologyCache cache;
  private final Duration timeout;
  private final Retry retry;

  public TopologyWriter(EtcdTopologyStore store, TopologyCache cache, Duration timeout,
      int maxAttempts) {
    this.store = store;
    this.cache = cache;
    this.timeout = timeout;
    this.retry = Retry.of("topology-cas", RetryConfig.custom()
        .maxAttempts(maxAttempts)
        .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
            Duration.ofMillis(2), 2.0, 0.5, Duration.ofMillis(200)))
        .retryExceptions(CasConflictException.class)
        .build());
  }

  /**
   * Applies {@code command} to the current topology and makes the result durable in etcd.
   * Coordinator exceptions thrown by the command (bad state, type conflicts) pass through
   * unchanged and write nothing.
   */
  public <R> R execute(Function<TopologyView, Transition<R>> command) {
    try {
      return Retry.decorateSupplier(retry, () -> attempt(command)).get();
    } catch (CasConflictException e) {
      throw new UnavailableException("topology is changing too fast: no commit after "
          + retry.getRetryConfig().getMaxAttempts() + " attempts; retry later", e);
    }
  }

  private <R> R attempt(Function<TopologyView, Transition<R>> command) {
    if (!awaitSynced()) {
      throw new UnavailableException("the topology cache is not following etcd", null);
    }
    TopologyCache.State seen = cache.state();
    Transition<R> transition = command.apply(seen.topology());
    if (!transition.changes()) {
      // Nothing to write, but the answer must not come from a stale cache: confirm that etcd's
      // version key is still the one the answer was computed from.
      long current = store.currentVersionRevision();
      if (current == seen.versionModRevision()) {
        return transition.response();
      }
      awaitCache(current);
      throw new CasConflictException();
    }
    CommitResult result = store.commit(seen.versionModRevision(), transition.updates());
    if (!result.committed()) {
      awaitCache(seen.versionModRevision() + 1);
      throw new CasConflictException();
    }
    if (!awaitCache(result.revision())) {
      log.warn("commit at revision {} not yet in the cache after {}; answering anyway",
          result.revision(), timeout);
    }
    return transition.response();
  }

  private boolean awaitSynced() {
    try {
      return cache.awaitSynced(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while waiting for the topology cache", e);
    }
  }

  private boolean awaitCache(long versionModRevision) {
    try {
      return cache.awaitVersionRevision(versionModRevision, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while waiting for the topology cache", e);
    }
  }

  /** Another writer changed the version key first; recompute from a newer topology. */
  static final class CasConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CasConflictException() {
      super("version key moved", null, false, false);
    }
  }
}
