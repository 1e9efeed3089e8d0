package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FreshReadsTest {
  private final List<CompletableFuture<Integer>> reads = new ArrayList<>();
  private final FreshReads<Integer> fresh = new FreshReads<>(() -> {
    CompletableFuture<Integer> read = new CompletableFuture<>();
    reads.add(read);
    return read;
  });

  @Test
  void callersDuringAReadShareTheNextOneWhichStartsAfterIt() {
    CompletableFuture<Integer> first = fresh.get();
    CompletableFuture<Integer> second = fresh.get();
    CompletableFuture<Integer> third = fresh.get();
    assertEquals(1, reads.size(), "one read in flight");
    assertSame(second, third, "callers arriving meanwhile share the next read");

    reads.get(0).complete(7);
    assertEquals(7, first.join());
    assertFalse(second.isDone(), "the first read may have started before they asked");
    assertEquals(2, reads.size(), "the next read starts when the first ends");
    reads.get(1).complete(8);
    assertEquals(8, second.join());

    CompletableFuture<Integer> later = fresh.get();
    assertEquals(3, reads.size(), "nothing in flight: a new read at once");
    reads.get(2).completeExceptionally(new IllegalStateException("etcd"));
    assertTrue(later.isCompletedExceptionally());
  }

  @Test
  void aFailedReadFailsOnlyItsOwnCallers() {
    CompletableFuture<Integer> first = fresh.get();
    CompletableFuture<Integer> waiting = fresh.get();
    reads.get(0).completeExceptionally(new IllegalStateException("timeout"));
    assertTrue(first.isCompletedExceptionally());
    reads.get(1).complete(9);
    assertEquals(9, waiting.join());
  }
}
