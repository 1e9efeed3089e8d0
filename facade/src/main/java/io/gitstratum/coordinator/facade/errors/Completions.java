package io.gitstratum.coordinator.facade.errors;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Waiting for and unwrapping asynchronous answers the same way on every path. */
public final class Completions {
  private Completions() {}

  /** What actually went wrong: the cause a {@link CompletionException} wraps, else the error. */
  public static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
  }

  /**
   * Waits for an answer that bounds itself (a deadline of its own), rethrowing its failure as
   * it was thrown; an interrupted wait is UNAVAILABLE (the replica is shutting down).
   */
  public static <T> T join(CompletableFuture<T> answer) {
    try {
      return answer.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException(ErrorReason.SHUTTING_DOWN, "interrupted", e);
    }
  }
}
