package io.gitstratum.coordinator.facade.store;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An etcd call that is safe to send more than once (a read; a lease grant, whose spare lease
 * is revoked or expires), sent again while unanswered: a copy each {@link HedgeDelay} (a third
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
  private final HedgeDelay delay;
  private final CompletableFuture<T> answer = new CompletableFuture<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  private HedgedCall(Supplier<CompletableFuture<T>> call, HedgeDelay delay, Consumer<T> spare) {
    this.call = call;
    this.spare = spare;
    this.delay = delay;
  }

  /**
   * Sends {@code call} now and copies of it as above.
   *
   * @param spare receives answers that came after the first (a lease to revoke)
   */
  static <T> CompletableFuture<T> send(Supplier<CompletableFuture<T>> call, HedgeDelay delay,
      Consumer<T> spare) {
    HedgedCall<T> hedged = new HedgedCall<>(call, delay, spare);
    hedged.sendCopy();
    return hedged.answer;
  }

  /** A read: a later answer is dropped. */
  static <T> CompletableFuture<T> send(Supplier<CompletableFuture<T>> call, HedgeDelay delay) {
    return send(call, delay, later -> {});
  }

  private void sendCopy() {
    if (answer.isDone()) {
      return; // answered, failed, or the caller's deadline passed
    }
    int copy = sent.incrementAndGet();
    if (copy > COPIES) {
      return;
    }
    long sentAt = System.nanoTime();
    CompletableFuture<T> sending;
    try {
      sending = call.get();
    } catch (RuntimeException e) {
      sending = CompletableFuture.failedFuture(e);
    }
    sending.whenComplete((value, error) -> {
      if (error == null) {
        delay.answered(System.nanoTime() - sentAt);
        if (!answer.complete(value)) {
          spare.accept(value);
        }
      } else if (failed.incrementAndGet() >= COPIES) {
        answer.completeExceptionally(error);
      } else if (failed.get() >= Math.min(sent.get(), COPIES)) {
        sendCopy(); // every copy so far failed: the next one now, not at its time
      }
    });
    long wait = delay.nanos();
    if (copy < COPIES && wait < delay.timeoutNanos()) { // a copy at the deadline helps nobody
      CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS).execute(this::sendCopy);
    }
  }
}
