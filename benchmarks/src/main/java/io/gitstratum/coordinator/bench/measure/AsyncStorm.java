package io.gitstratum.coordinator.bench.measure;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * One call per item, many in flight at once from one thread (async gRPC futures, not a thread
 * per caller), as a client that follows the server's advice would: a retryable answer
 * (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED) is sent again after its RetryInfo delay, or 500 ms
 * without one, at most {@link #MAX_RETRIES} times. What remains is what such a client could not
 * recover from. Answers whose message says the outcome is "not known" are counted on every
 * attempt: a storm must have none.
 */
public final class AsyncStorm {
  public static final int MAX_RETRIES = 3;
  private static final Duration DEFAULT_WAIT = Duration.ofMillis(500);

  private AsyncStorm() {}

  /**
   * What a storm's callers finally got.
   *
   * @param codes the last answer per item, by status code name (OK included)
   * @param notKnown answers (any attempt) saying the outcome is not known
   * @param retries attempts beyond the first
   * @param seconds from the first call to the last final answer
   * @param firstError the first failed final answer, empty when none
   */
  public record Outcome(Map<String, Long> codes, long notKnown, long retries, double seconds,
      String firstError) {
    public long ok() {
      return codes.getOrDefault("OK", 0L);
    }

    public long failed() {
      return codes.entrySet().stream().filter(e -> !e.getKey().equals("OK"))
          .mapToLong(Map.Entry::getValue).sum();
    }
  }

  /**
   * Calls {@code call} for every index in {@code [0, count)} with at most {@code inFlight}
   * callers at once; a caller keeps its slot while it waits to retry. Bounded by {@code timeout}
   * (calls still open then count as DEADLINE_EXCEEDED).
   */
  public static Outcome run(int count, int inFlight, Duration timeout,
      IntFunction<ListenableFuture<?>> call) throws InterruptedException {
    Map<String, Long> codes = new TreeMap<>();
    AtomicLong notKnown = new AtomicLong();
    AtomicLong retries = new AtomicLong();
    StringBuilder firstError = new StringBuilder();
    Semaphore slots = new Semaphore(inFlight);
    CountDownLatch done = new CountDownLatch(count);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    AtomicLong lastAnswer = new AtomicLong(start);
    try {
      for (int i = 0; i < count; i++) {
        if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          break;
        }
        new Caller(i, call, timer, (code, error) -> {
          synchronized (codes) {
            codes.merge(code, 1L, Long::sum);
            if (!code.equals("OK") && firstError.isEmpty()) {
              firstError.append(error);
            }
          }
          lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
          slots.release();
          done.countDown();
        }, notKnown, retries).attempt(0);
      }
      done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } finally {
      timer.shutdownNow();
    }
    synchronized (codes) {
      long answered = codes.values().stream().mapToLong(Long::longValue).sum();
      if (answered < count) {
        codes.merge("DEADLINE_EXCEEDED", count - answered, Long::sum);
      }
      return new Outcome(Map.copyOf(codes), notKnown.get(), retries.get(),
          (lastAnswer.get() - start) / 1e9, firstError.toString());
    }
  }

  /** How long the server asked to wait, or {@link #DEFAULT_WAIT}. */
  static Duration retryDelay(Throwable error) {
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    if (status != null) {
      for (com.google.protobuf.Any detail : status.getDetailsList()) {
        if (detail.is(RetryInfo.class)) {
          try {
            com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
            return Duration.ofSeconds(d.getSeconds(), d.getNanos());
          } catch (InvalidProtocolBufferException e) {
            return DEFAULT_WAIT;
          }
        }
      }
    }
    return DEFAULT_WAIT;
  }

  static boolean retryable(Status.Code code) {
    return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED
        || code == Status.Code.ABORTED;
  }

  /** Receives a caller's final answer. */
  private interface Final {
    void answer(String code, String error);
  }

  /** One item's calls: the first and its retries. */
  private record Caller(int index, IntFunction<ListenableFuture<?>> call,
      ScheduledExecutorService timer, Final last, AtomicLong notKnown, AtomicLong retries) {
    void attempt(int retry) {
      ListenableFuture<?> answer;
      try {
        answer = call.apply(index);
      } catch (RuntimeException e) {
        last.answer("CLIENT_ERROR", e.toString());
        return;
      }
      Futures.addCallback(answer, new FutureCallback<Object>() {
        @Override
        public void onSuccess(Object result) {
          last.answer("OK", "");
        }

        @Override
        public void onFailure(Throwable error) {
          Status status = Status.fromThrowable(error);
          if (status.getDescription() != null && status.getDescription().contains("not known")) {
            notKnown.incrementAndGet();
          }
          if (retryable(status.getCode()) && retry < MAX_RETRIES) {
            retries.incrementAndGet();
            try {
              timer.schedule(() -> attempt(retry + 1), retryDelay(error).toNanos(),
                  TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
              last.answer(status.getCode().name(), status.toString()); // the storm timed out
            }
          } else {
            last.answer(status.getCode().name(), status.toString());
          }
        }
      }, MoreExecutors.directExecutor());
    }
  }
}
