package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Copies of an unanswered etcd call: when they go, which answer wins, and where they stop. */
class HedgedCallTest {
  /** Copies every 100 ms while nothing was answered yet. */
  private static final Duration TIMEOUT = Duration.ofMillis(300);

  private final List<CompletableFuture<Long>> sent = new CopyOnWriteArrayList<>();

  private CompletableFuture<Long> call() {
    CompletableFuture<Long> copy = new CompletableFuture<>();
    sent.add(copy);
    return copy;
  }

  @Test
  void anUnansweredCallGetsCopiesAndTheFirstAnswerWinsTheRestAreSpare() throws Exception {
    List<Long> spare = new CopyOnWriteArrayList<>();
    CompletableFuture<Long> answer = HedgedCall.send(this::call, new HedgePolicy(TIMEOUT),
        spare::add);
    assertEquals(1, sent.size(), "the first copy goes at once");
    Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> sent.size() == 3);
    sent.get(1).complete(11L);
    assertEquals(11L, answer.get(1, TimeUnit.SECONDS));
    sent.get(0).complete(10L);
    sent.get(2).complete(12L);
    assertEquals(List.of(10L, 12L), spare, "later answers are handed back (leases revoked)");
    Thread.sleep(TIMEOUT.toMillis()); // time for a copy that must not come
    assertEquals(HedgedCall.COPIES, sent.size(), "never more than " + HedgedCall.COPIES);
  }

  @Test
  void aFailedCopyIsFollowedAtOnceAndAllFailedFailsTheCall() throws Exception {
    HedgePolicy slowCopies = new HedgePolicy(Duration.ofSeconds(30));
    CompletableFuture<Long> answer = HedgedCall.send(this::call, slowCopies);
    IllegalStateException refused = new IllegalStateException("refused");
    sent.get(0).completeExceptionally(refused);
    assertEquals(2, sent.size(), "the next copy at once, not after the delay");
    sent.get(1).completeExceptionally(refused);
    assertEquals(3, sent.size());
    assertFalse(answer.isDone());
    sent.get(2).completeExceptionally(refused);
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> answer.get(1, TimeUnit.SECONDS));
    assertSame(refused, failed.getCause());
    assertEquals(3, sent.size());
  }

  @Test
  void noCopyAfterTheCallerGaveUp() throws Exception {
    CompletableFuture<Long> answer = HedgedCall.send(this::call, new HedgePolicy(TIMEOUT));
    answer.cancel(true); // the caller's deadline passed
    Thread.sleep(TIMEOUT.toMillis());
    assertEquals(1, sent.size());
  }

  @Test
  void aSlowEtcdForEveryCallGetsNoCopies() throws Exception {
    HedgePolicy delay = new HedgePolicy(TIMEOUT);
    for (int i = 0; i < 20; i++) {
      delay.answered(TimeUnit.MILLISECONDS.toNanos(200)); // answers take 2/3 of the timeout
    }
    assertEquals(TIMEOUT.toNanos(), delay.nanos(), "the next copy would come at the deadline");
    CompletableFuture<Long> answer = HedgedCall.send(this::call, delay);
    Thread.sleep(TIMEOUT.toMillis() / 2);
    assertEquals(1, sent.size());
    sent.get(0).complete(1L);
    assertTrue(answer.isDone());
  }
}
