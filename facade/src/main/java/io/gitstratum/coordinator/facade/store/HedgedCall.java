package io.gitstratum.coordinator.facade.store;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An etcd call that is safe to send more than once (a read; a lease grant, whose spare lease
 * is revoked or expires), sent again while unanswered: a copy each {@link HedgePolicy} (a third
 * of the etcd timeout while etcd answers fast), or at once when every copy sent so far has
 * failed, at most {@link #COPIES} in all. jetcd's round robin sends each copy over the next connection, so a request held by a
 * member that went silent (SIGSTOP, a black hole) or by a follower whose leader died (etcd
 * holds it until its own request timeout, longer than ours) does not decide the answer. The
 * first answer wins; answers after it go to {@code spare}. Fails when every copy failed; the
 * caller bounds the whole by its deadline ({@link Deadlines}), and no copy is sent after the
 * answer is settled. Thread-safe.
 */
final class HedgedCall<T> {
  /** Copies of one call at most: one per member of a three-member cluster. */
  static final int COPIES = 3;

  private final Supplier<CompletableFuture<T>> call;
  private final Consumer<T> spare;
  private final HedgePolicy policy;
  private final CompletableFuture<T> answer = new CompletableFuture<>();
  @GuardedBy("this")
  private int sent;
  @GuardedBy("this")
  private int failed;

  private HedgedCall(Supplier<CompletableFuture<T>> call, HedgePolicy policy, Consumer<T> spare) {
    this.call = call;
    this.spare = spare;
    this.policy = policy;
  }

  /**
   * Sends {@code call} now and copies of it as above.
   *
   * @param spare receives answers that came after the first (a lease to revoke)
   */
  static <T> CompletableFuture<T> send(Supplier<CompletableFuture<T>> call, HedgePolicy policy,
      Consumer<T> spare) {
    HedgedCall<T> hedged = new HedgedCall<>(call, policy, spare);
    hedged.sendCopy();
    return hedged.answer;
  }

  /** A read: a later answer is dropped. */
  static <T> CompletableFuture<T> send(Supplier<CompletableFuture<T>> call, HedgePolicy policy) {
    return send(call, policy, later -> {});
  }

  /** Sends the next copy unless the answer is settled or no copy may go; says whether it did. */
  private boolean sendCopy() {
    int copy;
    synchronized (this) {
      if (answer.isDone() || sent >= COPIES || sent > 0 && !policy.takeCopy()) {
        return false;
      }
      copy = ++sent;
    }
    long sentAt = System.nanoTime();
    CompletableFuture<T> sending;
    try {
      sending = call.get();
    } catch (RuntimeException e) {
      sending = CompletableFuture.failedFuture(e);
    }
    sending.whenComplete((value, error) -> {
      if (copy > 1) {
        policy.copyDone();
      }
      if (error == null) {
        policy.answered(System.nanoTime() - sentAt);
        if (!answer.complete(value)) {
          spare.accept(value);
        }
        return;
      }
      boolean allFailed;
      synchronized (this) {
        allFailed = ++failed == sent;
      }
      // Every copy so far failed: the next one now, not at its time; none may go: the error.
      if (allFailed && !sendCopy()) {
        answer.completeExceptionally(error);
      }
    });
    long wait = policy.nanos();
    if (copy < COPIES && wait < policy.timeoutNanos()) { // a copy at the deadline helps nobody
      CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS).execute(this::sendCopy);
    }
    return true;
  }
}
