package io.gitstratum.coordinator.facade.leader;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.etcd.Deadlines;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detector election. Each replica holds a session lease (renewed every quarter TTL, each
 * attempt bounded by a quarter TTL) that
 * carries its {@code P/facades/<replica>} record; it campaigns by creating
 * {@code P/election/detector} on that lease if the key is absent. Whoever's lease holds the key
 * leads; when that lease ends (replica dead or cut off from etcd) the key disappears and the next
 * campaign wins. A replica that cannot renew its session for a whole TTL stops calling itself
 * leader, since its key may already be gone.
 *
 * <p>All etcd calls run on the given scheduler thread; {@link #leader()} and {@link #isLeader()}
 * read the last known state and never block. Thread-safe.
 */
public final class DetectorElection implements Leadership, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DetectorElection.class);

  private final KV kv;
  private final Lease leases;
  private final LeaseKeepAlives keepAlives;
  private final Keyspace keys;
  private final FacadeRecord self;
  private final Duration sessionTtl;
  private final Duration timeout;
  private final Duration attemptTimeout;
  private final ScheduledExecutorService scheduler;
  /** The monotonic ticker the session's age is measured with. */
  private final LongSupplier nanoTime;

  // Written on the scheduler thread only.
  private long session;
  private long sessionRenewedNanos;
  private ScheduledFuture<?> ticks;

  private volatile Optional<LeaderInfo> leader = Optional.empty();
  private volatile boolean isLeader;
  /** The create revision of the election key while this replica holds it; 0 otherwise. */
  private volatile long tenure;

  /**
   * @param keepAlives renews the session over the replica's session keep-alive stream (its own,
   *     never behind node heartbeats), which leaves an etcd member that stops answering (jetcd's
   *     own calls keep rotating over it until its connection is declared dead, many seconds
   *     later)
   */
  public DetectorElection(Client etcd, LeaseKeepAlives keepAlives, Keyspace keys,
      FacadeRecord self, Duration sessionTtl, Duration timeout,
      ScheduledExecutorService scheduler, LongSupplier nanoTime) {
    this.kv = etcd.getKVClient();
    this.leases = etcd.getLeaseClient();
    this.keepAlives = keepAlives;
    this.keys = keys;
    this.self = self;
    this.sessionTtl = sessionTtl;
    this.timeout = timeout;
    // One unanswered call (an etcd member gone silent) must not use up the session: each
    // attempt gets a quarter of the TTL at most, so the next tick, on another connection of
    // jetcd's round-robin, still renews in time.
    Duration quarter = sessionTtl.dividedBy(4);
    this.attemptTimeout = timeout.compareTo(quarter) < 0 ? timeout : quarter;
    this.scheduler = scheduler;
    this.nanoTime = nanoTime;
  }

  public void start() {
    long period = Math.max(100, sessionTtl.toMillis() / 4);
    ticks = scheduler.scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public Optional<LeaderInfo> leader() {
    return leader;
  }

  @Override
  public boolean isLeader() {
    return isLeader;
  }

  @Override
  public long tenure() {
    return tenure;
  }

  @Override
  public void deposed(long refused) {
    // Runs on the scheduler thread, as the ticks do: no tick can re-elect in between.
    try {
      scheduler.execute(() -> {
        if (refused != 0 && refused == tenure) {
          // The detector said so in its one line; this is the election's side of it.
          log.debug("replica {} steps down as detector: the election key created at revision "
              + "{} is gone or another replica's", self.getReplicaId(), refused);
          isLeader = false;
          tenure = 0;
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("closing: not stepping down again ({})", e.toString());
    }
  }

  private void tick() {
    try {
      renewSession();
      campaign();
    } catch (RuntimeException e) {
      if (nanoTime.getAsLong() - sessionRenewedNanos > sessionTtl.toNanos()) {
        demote("session not renewed for " + sessionTtl + ": " + e.getMessage());
        session = 0;
      }
      log.debug("election tick failed: {}", e.toString());
    }
  }

  private void renewSession() {
    if (session != 0) {
      long ttl = await(keepAlives.sessionKeepAliveAsync(session));
      if (ttl > 0) {
        sessionRenewedNanos = nanoTime.getAsLong();
        return;
      }
      demote("session lease expired");
    }
    long fresh = await(leases.grant(sessionTtl.toSeconds())).getID();
    await(kv.put(bytes(keys.facade(self.getReplicaId())), ByteSequence.from(RecordCodec.encode(self)),
        PutOption.builder().withLeaseId(fresh).build()));
    session = fresh;
    sessionRenewedNanos = nanoTime.getAsLong();
    log.info("replica {} advertised at {} (session lease {})", self.getReplicaId(),
        self.getAddress(), Long.toHexString(fresh));
  }

  private void campaign() {
    ByteSequence key = bytes(keys.detectorElection());
    TxnResponse response = await(kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(key, ByteSequence.from(RecordCodec.encode(self)),
            PutOption.builder().withLeaseId(session).build()))
        .Else(Op.get(key, GetOption.DEFAULT))
        .commit());
    if (response.isSucceeded()) {
      // The key was created by this transaction: its create revision is the transaction's.
      elected(self, response.getHeader().getRevision());
      return;
    }
    Optional<KeyValue> holder = response.getGetResponses().get(0).getKvs().stream().findFirst();
    if (holder.isEmpty()) {
      return; // deleted between compare and get: the next tick campaigns again
    }
    FacadeRecord record = RecordCodec.decodeFacade(keys.detectorElection(),
        holder.get().getValue().getBytes());
    elected(record, holder.get().getLease() == session ? holder.get().getCreateRevision() : 0);
  }

  /** @param createRevision the election key's create revision when this replica holds it, or 0 */
  private void elected(FacadeRecord holder, long createRevision) {
    boolean us = createRevision != 0;
    leader = Optional.of(new LeaderInfo(holder.getReplicaId(), holder.getAddress()));
    if (us && !isLeader) {
      log.info("replica {} won the detector election", self.getReplicaId());
    } else if (!us && isLeader) {
      log.warn("replica {} lost the detector election to {}", self.getReplicaId(),
          holder.getReplicaId());
    }
    tenure = createRevision;
    isLeader = us;
  }

  private void demote(String reason) {
    if (isLeader) {
      log.warn("replica {} steps down as detector: {}", self.getReplicaId(), reason);
    }
    isLeader = false;
    tenure = 0;
  }

  private <T> T await(CompletableFuture<T> call) {
    return Deadlines.await(call, attemptTimeout, "election");
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  /** Stops campaigning and gives the election and the session up, so another replica leads now. */
  @Override
  public void close() {
    if (ticks != null) {
      ticks.cancel(false);
    }
    isLeader = false;
    tenure = 0;
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
      if (session != 0) {
        try {
          // Not bounded by a quarter TTL: giving the session up now hands over at once.
          Deadlines.await(leases.revoke(session), timeout, "session revoke");
        } catch (RuntimeException e) {
          log.debug("session revoke failed: {}", e.toString());
        }
      }
    }, scheduler);
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.debug("session revoke did not finish: {}", e.toString());
    }
  }
}
