package io.gitstratum.coordinator.facade.etcd;

import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for an etcd call within its deadline and turns every way it can fail into one error. */
public final class Deadlines {
  private Deadlines() {}

  /**
   * The call's answer without waiting for it: fails with {@link UnavailableException} as
   * {@link #await} throws it; a call over its deadline is cancelled so jetcd stops retrying it.
   */
  public static <T> CompletableFuture<T> bound(CompletableFuture<T> call, Duration timeout,
      String what) {
    return call.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((answer, error) -> {
      if (error == null) {
        return answer;
      }
      Throwable cause = Completions.cause(error);
      if (cause instanceof TimeoutException) {
        call.cancel(true);
        throw new UnavailableException("etcd did not answer " + what + " within " + timeout,
            cause);
      }
      if (cause instanceof UnavailableException said) {
        throw said; // already says what etcd did (a shared read bounded by its first caller)
      }
      throw new UnavailableException("etcd " + what + " failed: " + cause, cause);
    });
  }

  /**
   * @throws UnavailableException when the call fails or takes longer than {@code timeout}; the
   *     future is cancelled so jetcd stops retrying it
   */
  public static <T> T await(CompletableFuture<T> call, Duration timeout, String what) {
    try {
      return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new UnavailableException("etcd did not answer " + what + " within " + timeout, e);
    } catch (ExecutionException e) {
      throw new UnavailableException("etcd " + what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel(true);
      throw new UnavailableException("interrupted while waiting for etcd " + what, e);
    }
  }
}
