package io.gitstratum.coordinator.facade.write;

import io.gitstratum.coordinator.facade.core.ErrorReason;
import io.gitstratum.coordinator.facade.core.UnavailableException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One caller's command waiting in the write queue, and its answer. */
final class Pending<R> {
  final Command<R> command;
  private final CompletableFuture<R> answer = new CompletableFuture<>();

  Pending(Command<R> command) {
    this.command = command;
  }

  CompletableFuture<R> answer() {
    return answer;
  }

  boolean isDone() {
    return answer.isDone();
  }

  @SuppressWarnings("unchecked")
  void completeUnchecked(Object response) {
    answer.complete((R) response);
  }

  void fail(Throwable error) {
    answer.completeExceptionally(error);
  }

  /** The answer, or the command's own exception; UNAVAILABLE when the wait runs out. */
  R await(Duration bound) {
    try {
      return answer.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      // The caller gives up; the writer skips the command if it has not started it yet.
      answer.cancel(false);
      throw new UnavailableException("no commit within " + bound, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answer.cancel(false);
      throw new UnavailableException(ErrorReason.SHUTTING_DOWN, "interrupted", e);
    }
  }
}
