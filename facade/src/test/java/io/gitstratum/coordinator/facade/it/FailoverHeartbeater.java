package io.gitstratum.coordinator.facade.it;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.NodeState;
import io.grpc.Channel;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test nodes that heartbeat every interval as a careful node agent would over two replicas: each
 * heartbeat goes to one replica (alternating) and, if it fails for any reason, is sent again at
 * once to the other. Records, per node, every successful heartbeat, so a test can ask for the
 * longest time a node went without one.
 *
 * <p>Calls are blocking, each with its own deadline, on a fixed pool whose threads all exist from
 * the start: a test that counts the JVM's threads then sees the facade's, not this pool growing,
 * and a slow call never delays another node's heartbeat (size the pool above the node count).
 * Thread-safe; the caller closes it, which stops every node but not the channels.
 */
public final class FailoverHeartbeater implements AutoCloseable {

  /** A successful heartbeat: when its (last) attempt was sent, when answered, by which replica. */
  public record Success(long sentNanos, long answeredNanos, int replica) {}

  /** A stretch without a successful heartbeat, in {@link System#nanoTime()} terms. */
  public record Gap(long fromNanos, long toNanos) {
    public Duration length() {
      return Duration.ofNanos(toNanos - fromNanos);
    }
  }

  private final ScheduledThreadPoolExecutor timer;
  private final List<Channel> replicas;
  private final Duration interval;
  private final Duration callDeadline;
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
  private final AtomicInteger bothFailed = new AtomicInteger();

  public FailoverHeartbeater(List<Channel> replicas, Duration interval, Duration callDeadline,
      int threads) {
    if (replicas.size() != 2) {
      throw new IllegalArgumentException("fails over between exactly two replicas");
    }
    this.replicas = List.copyOf(replicas);
    this.interval = interval;
    this.callDeadline = callDeadline;
    AtomicInteger named = new AtomicInteger();
    this.timer = new ScheduledThreadPoolExecutor(threads, r -> {
      Thread thread = new Thread(r, "failover-beat-" + named.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    });
    timer.prestartAllCoreThreads();
  }

  /** Starts heartbeating {@code nodeId} (generation {@code g-<id>}) now. */
  public void start(String nodeId) {
    Node node = new Node(System.nanoTime());
    if (nodes.putIfAbsent(nodeId, node) != null) {
      throw new IllegalStateException(nodeId + " was started before");
    }
    // Half the nodes start on each replica, then each node alternates.
    AtomicLong tick = new AtomicLong(Math.floorMod(nodeId.hashCode(), 2));
    node.task = timer.scheduleAtFixedRate(() -> beat(nodeId, node, tick.getAndIncrement()),
        0, interval.toNanos(), TimeUnit.NANOSECONDS);
    if (node.stoppedNanos != Long.MAX_VALUE) {
      node.stop(); // stopped before its task was known: cancel it now
    }
  }

  /** Stops one node's heartbeats (a heartbeat in flight still counts). */
  public void stop(String nodeId) {
    node(nodeId).stop();
  }

  public Set<String> nodes() {
    return Set.copyOf(nodes.keySet());
  }

  /** Whether {@code nodeId} was started and not yet stopped at {@code nanos}. */
  public boolean heartbeatingAt(String nodeId, long nanos) {
    Node node = nodes.get(nodeId);
    return node != null && node.startedNanos <= nanos && nanos < node.stoppedNanos;
  }

  /** The last successful heartbeat sent before {@code nanos}. */
  public Optional<Success> lastSentSuccessBefore(String nodeId, long nanos) {
    Node node = nodes.get(nodeId);
    if (node == null) {
      return Optional.empty();
    }
    return node.successes().stream().filter(s -> s.sentNanos() < nanos)
        .max(Comparator.comparingLong(Success::sentNanos));
  }

  /** When the last successful heartbeat of {@code nodeId} was answered, if any. */
  public OptionalLong lastAnswered(String nodeId) {
    List<Success> all = node(nodeId).successes();
    return all.isEmpty() ? OptionalLong.empty()
        : OptionalLong.of(all.get(all.size() - 1).answeredNanos());
  }

  public int successes(String nodeId) {
    return node(nodeId).successes().size();
  }

  /**
   * The longest time {@code nodeId} went without a successful heartbeat, from its first success
   * to when it stopped (or now): between two answers, or from the last answer on.
   *
   * @throws NoSuchElementException if the node never had a successful heartbeat
   */
  public Gap worstGap(String nodeId) {
    Node node = node(nodeId);
    List<Success> all = node.successes();
    if (all.isEmpty()) {
      throw new NoSuchElementException(nodeId + " never had a successful heartbeat");
    }
    Gap worst = new Gap(all.get(0).answeredNanos(), all.get(0).answeredNanos());
    for (int i = 1; i < all.size(); i++) {
      Gap gap = new Gap(all.get(i - 1).answeredNanos(), all.get(i).answeredNanos());
      worst = gap.length().compareTo(worst.length()) > 0 ? gap : worst;
    }
    long end = Math.min(System.nanoTime(), node.stoppedNanos);
    Gap trailing = new Gap(all.get(all.size() - 1).answeredNanos(), end);
    return trailing.length().compareTo(worst.length()) > 0 ? trailing : worst;
  }

  /** Failed attempts by {@code replica-<i> <status code>}, sorted. */
  public Map<String, Integer> failures() {
    Map<String, Integer> copy = new TreeMap<>();
    failures.forEach((key, count) -> copy.put(key, count.get()));
    return copy;
  }

  /** Heartbeats that failed on both replicas. */
  public int bothFailed() {
    return bothFailed.get();
  }

  /** Stops every node; heartbeats in flight are interrupted. */
  @Override
  public void close() {
    nodes.values().forEach(Node::stop);
    timer.shutdownNow();
  }

  private void beat(String nodeId, Node node, long tick) {
    int first = (int) (tick % 2);
    for (int attempt = 0; attempt < 2; attempt++) {
      int replica = (first + attempt) % 2;
      long sent = System.nanoTime();
      try {
        CoordinatorServiceGrpc.newBlockingStub(replicas.get(replica))
            .withDeadlineAfter(callDeadline.toNanos(), TimeUnit.NANOSECONDS)
            .heartbeat(TestNodes.beat(nodeId, NodeState.NODE_STATE_ACTIVE));
        node.succeeded(new Success(sent, System.nanoTime(), replica));
        return;
      } catch (RuntimeException e) {
        if (node.stoppedNanos != Long.MAX_VALUE) {
          return; // cut short by stop or close: not the replica's failure
        }
        failures.computeIfAbsent("replica-" + replica + " " + Status.fromThrowable(e).getCode(),
            k -> new AtomicInteger()).incrementAndGet();
      }
    }
    bothFailed.incrementAndGet();
  }

  private Node node(String nodeId) {
    Node node = nodes.get(nodeId);
    if (node == null) {
      throw new NoSuchElementException(nodeId + " was never started");
    }
    return node;
  }

  private static final class Node {
    final long startedNanos;
    volatile long stoppedNanos = Long.MAX_VALUE;
    volatile ScheduledFuture<?> task;
    private final List<Success> successes = new ArrayList<>(); // guarded by this

    Node(long startedNanos) {
      this.startedNanos = startedNanos;
    }

    synchronized void succeeded(Success success) {
      successes.add(success);
    }

    synchronized List<Success> successes() {
      return List.copyOf(successes);
    }

    void stop() {
      if (stoppedNanos == Long.MAX_VALUE) {
        stoppedNanos = System.nanoTime();
      }
      ScheduledFuture<?> running = task;
      if (running != null) {
        running.cancel(false);
      }
    }
  }
}
