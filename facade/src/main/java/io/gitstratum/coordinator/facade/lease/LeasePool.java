package io.gitstratum.coordinator.facade.lease;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;

/**
 * Leases of one TTL granted ahead of need, so that a registration's transaction does not wait
 * for a grant round trip first. The pool refills in proportion to recent use, so an idle replica
 * holds no leases for long: a pooled lease older than {@code maxAge} is dropped (it expires in
 * etcd by itself, with nothing attached). A lease taken from the pool has lost up to
 * {@code maxAge} of its TTL, so the writer renews it once its key is written. Thread-safe.
 */
public final class LeasePool {
  private record Granted(long id, long grantedAtNanos) {}

  private final EtcdTopologyStore store;
  private final long ttlSeconds;
  private final long maxAgeNanos;
  private final int capacity;
  private final LongSupplier nanoClock;
  private final Object lock = new Object();
  @GuardedBy("lock")
  private final Deque<Granted> ready = new ArrayDeque<>();
  @GuardedBy("lock")
  private int refilling;
  @GuardedBy("lock")
  private long windowStartNanos;
  @GuardedBy("lock")
  private int takenThisSecond;
  @GuardedBy("lock")
  private int takenLastSecond;

  /**
   * @param capacity most leases held (at least a full write batch's worth)
   * @param maxAge a pooled lease is used only this soon after its grant
   */
  public LeasePool(EtcdTopologyStore store, long ttlSeconds, int capacity, Duration maxAge,
      LongSupplier nanoClock) {
    this.store = store;
    this.ttlSeconds = ttlSeconds;
    this.capacity = capacity;
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoClock = nanoClock;
  }

  /**
   * Starts getting {@code n} leases: fresh pooled ones at once, the rest granted now. When the
   * pool runs below half full it refills, in one burst, as many as were taken in the last
   * second (at least {@code n}, at most up to capacity): a steady stream of registrations then
   * meets a grant burst once per half pool rather than one grant racing every transaction into
   * etcd's next fsync, and a rare registration refills only what it took.
   */
  public List<CompletableFuture<Long>> take(int n) {
    List<CompletableFuture<Long>> out = new ArrayList<>(n);
    int refill = 0;
    synchronized (lock) {
      long now = nanoClock.getAsLong();
      while (!ready.isEmpty() && ready.peekFirst().grantedAtNanos() < now - maxAgeNanos) {
        ready.pollFirst(); // too old to hand out; etcd expires it
      }
      while (out.size() < n && !ready.isEmpty()) {
        out.add(CompletableFuture.completedFuture(ready.pollLast().id()));
      }
      if (now - windowStartNanos > 1_000_000_000L) {
        windowStartNanos = now;
        takenLastSecond = takenThisSecond;
        takenThisSecond = 0;
      }
      takenThisSecond += n;
      int held = ready.size() + refilling;
      if (held < capacity / 2) {
        int recent = Math.max(takenLastSecond, takenThisSecond);
        refill = Math.max(0, Math.min(capacity - held, Math.max(n, recent)));
        refilling += refill;
      }
    }
    while (out.size() < n) {
      out.add(store.grantLeaseHedged(ttlSeconds)); // the caller waits for these
    }
    for (int i = 0; i < refill; i++) {
      long startedAt = nanoClock.getAsLong();
      store.grantLeaseAsync(ttlSeconds).whenComplete((id, error) -> {
        synchronized (lock) {
          refilling--;
          if (error == null) {
            ready.addLast(new Granted(id, startedAt));
          }
        }
      });
    }
    return out;
  }

  /** The leases held now, oldest first (for tests). */
  List<Long> heldIds() {
    synchronized (lock) {
      return ready.stream().map(Granted::id).toList();
    }
  }

  /** Leases held now (for tests and metrics). */
  public int size() {
    synchronized (lock) {
      return ready.size();
    }
  }
}
