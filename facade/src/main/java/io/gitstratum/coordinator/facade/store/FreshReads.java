package io.gitstratum.coordinator.facade.store;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One read shared by every caller who needs a read that started after they asked (etcd's
 * current version, to know that the cache has caught up with it): at most one read is in
 * flight, and the callers arriving meanwhile share the next one, started when it ends. Under
 * load, a thousand heartbeats asking at once cost two reads instead of a thousand, and the
 * reads never pile up on an etcd that is already slow. Thread-safe.
 */
final class FreshReads<T> {
  private final Supplier<CompletableFuture<T>> read;

  @GuardedBy("this")
  private boolean inFlight;

  @GuardedBy("this")
  private CompletableFuture<T> next;

  FreshReads(Supplier<CompletableFuture<T>> read) {
    this.read = read;
  }

  CompletableFuture<T> get() {
    synchronized (this) {
      if (inFlight) {
        if (next == null) {
          next = new CompletableFuture<>();
        }
        return next;
      }
      inFlight = true;
    }
    return start();
  }

  private CompletableFuture<T> start() {
    CompletableFuture<T> started;
    try {
      started = read.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((value, error) -> ended());
    return started;
  }

  private void ended() {
    CompletableFuture<T> waiting;
    synchronized (this) {
      waiting = next;
      next = null;
      if (waiting == null) {
        inFlight = false;
        return;
      }
    }
    start().whenComplete((value, error) -> {
      if (error != null) {
        waiting.completeExceptionally(error);
      } else {
        waiting.complete(value);
      }
    });
  }
}
