package io.gitstratum.coordinator.facade.write;

import java.util.concurrent.CompletableFuture;

/** One caller's command waiting in the write queue, and its answer. */
final class Pending<R> {
  final String actor;
  final Command<R> command;
  private final CompletableFuture<R> answer = new CompletableFuture<>();

  /** @param actor who asks, for the change history: {@code node:<id>}, {@code operator:<name>}... */
  Pending(String actor, Command<R> command) {
    this.actor = actor;
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
}
