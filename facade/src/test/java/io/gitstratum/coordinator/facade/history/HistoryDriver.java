package io.gitstratum.coordinator.facade.history;

import static io.gitstratum.coordinator.facade.it.FacadeHarness.bytes;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.history.Operation.Failed;
import io.gitstratum.coordinator.facade.history.Operation.Kind;
import io.gitstratum.coordinator.facade.history.Operation.Ok;
import io.gitstratum.coordinator.facade.history.Operation.Outcome;
import io.gitstratum.coordinator.facade.history.Operation.Unknown;
import io.gitstratum.coordinator.facade.it.EventLogWatch;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.RegisterNodeResponse;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.FaultyEtcd;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one seeded history against real replicas: several clients register, re-register,
 * deregister and heartbeat a small pool of nodes through several replicas, watchers follow the
 * topology and move between replicas, and a fault thread delays (all members or one),
 * black-holes and resets etcd members (through {@link FaultyEtcd}) and stops and restarts
 * replicas. Records every answer and every
 * watched message, and at the end etcd's log, its node records and each replica's cache, for
 * {@link HistoryChecker}.
 *
 * <p>Each client, watcher and the fault thread draw from their own {@link Random} seeded from the
 * run's seed, so a run's requests and faults are replayed by its seed as far as the answers
 * (which feed back into what a client asks next) and the machine's timing allow.
 *
 * <p>Not thread-safe: one {@link #run} per instance. Blocks for the run's duration.
 */
public final class HistoryDriver {
  private static final Logger log = LoggerFactory.getLogger(HistoryDriver.class);

  private static final Duration ETCD_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration SESSION_TTL = Duration.ofSeconds(2);
  private static final Duration HEARTBEAT = Duration.ofMillis(500);
  private static final Duration SUSPECT = Duration.ofSeconds(4);
  private static final Duration DOWN = Duration.ofSeconds(8);
  /** A call's deadline: two etcd timeouts (an unanswered commit and its check) and margin. */
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(3);
  private static final Duration SETTLE = Duration.ofSeconds(30);
  private static final int SETTLE_ATTEMPTS = 10;

  /**
   * One run's shape.
   *
   * @param operations stop once the clients have sent this many calls...
   * @param duration ...or once this much time has passed, whichever comes first
   */
  public record Settings(long seed, int operations, Duration duration, int replicas, int clients,
      int watchers, int nodes) {
    @Override
    public String toString() {
      return "seed " + seed + ", " + operations + " operations or " + duration.toSeconds()
          + " s, " + replicas + " replicas, " + clients + " clients, " + watchers
          + " watchers, " + nodes + " nodes";
    }
  }

  /** What one run recorded: the history, and the faults in the order they were applied. */
  public record Run(History history, List<String> faults, Duration took) {}

  private final Settings settings;
  private final FacadeHarness harness;
  private final FaultyEtcd faulty;
  private final String cluster;
  private final Keyspace keys;
  private final List<Slot> slots = new ArrayList<>();
  private final List<Operation> operations = Collections.synchronizedList(new ArrayList<>());
  private final List<WatchSegment> segments = Collections.synchronizedList(new ArrayList<>());
  private final List<String> faults = new ArrayList<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final CountDownLatch finished = new CountDownLatch(1);
  private long deadlineNanos;
  private long startNanos;

  private HistoryDriver(Settings settings, FaultyEtcd faulty, FacadeHarness harness,
      String cluster) {
    this.settings = settings;
    this.faulty = faulty;
    this.harness = harness;
    this.cluster = cluster;
    this.keys = FacadeHarness.keys(cluster);
  }

  /**
   * Runs one history on {@code cluster} (which must be empty) over the etcd members at
   * {@code etcdEndpoints}; the replicas reach etcd through fault proxies, the recording watch
   * and the final reads go straight to etcd.
   */
  public static Run run(Settings settings, List<String> etcdEndpoints, String cluster)
      throws Exception {
    try (FaultyEtcd faulty = FaultyEtcd.start(etcdEndpoints);
        FacadeHarness harness = new FacadeHarness(faulty.endpoints());
        Client direct = Client.builder().endpoints(etcdEndpoints.toArray(String[]::new)).build();
        EventLogWatch events = follow(direct, FacadeHarness.keys(cluster))) {
      return new HistoryDriver(settings, faulty, harness, cluster).drive(direct, events);
    }
  }

  /**
   * The recording watch, once the direct client answers: its first reads, right after etcd
   * started on a busy machine, can miss their 5 s deadline.
   */
  private static EventLogWatch follow(Client direct, Keyspace keys) {
    return Awaitility.await().atMost(SETTLE).ignoreExceptions()
        .until(() -> EventLogWatch.follow(direct, keys), Objects::nonNull);
  }

  private Run drive(Client direct, EventLogWatch events) throws Exception {
    for (int i = 0; i < settings.replicas(); i++) {
      slots.add(new Slot(i));
      slots.get(i).start();
    }
    startNanos = System.nanoTime();
    deadlineNanos = startNanos + settings.duration().toNanos();
    ExecutorService workers = Executors.newFixedThreadPool(settings.clients() + settings.watchers());
    List<Future<?>> running = new ArrayList<>();
    try {
      for (int c = 0; c < settings.clients(); c++) {
        int index = c;
        running.add(workers.submit(() -> client(index)));
      }
      List<Future<?>> watchers = new ArrayList<>();
      for (int w = 0; w < settings.watchers(); w++) {
        int index = w;
        watchers.add(workers.submit(() -> watcher(index)));
      }
      injectFaults();
      for (Future<?> client : running) {
        client.get(CALL_DEADLINE.toSeconds() * 4, TimeUnit.SECONDS);
      }
      finished.countDown();
      for (Future<?> watcher : watchers) {
        watcher.get(10, TimeUnit.SECONDS);
      }
    } finally {
      finished.countDown();
      workers.shutdownNow();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    faulty.passAll();
    for (Slot slot : slots) {
      if (!slot.current.running()) {
        slot.start(); // a replica stopped by the last fault: it must catch up like the others
      }
    }
    History.End end = settle(direct.getKVClient());
    List<LoggedEvent> log = events.awaitComplete(SETTLE).stream()
        .filter(s -> s.update().getVersion() <= end.etcdVersion())
        .map(s -> new LoggedEvent(s.update(), s.arrivedNanos())).toList();
    List<Operation> ops;
    synchronized (operations) {
      ops = List.copyOf(operations);
    }
    List<WatchSegment> watched;
    synchronized (segments) {
      watched = List.copyOf(segments);
    }
    return new Run(new History(log, ops, watched, end), List.copyOf(faults), took);
  }

  private boolean done() {
    return sent.get() >= settings.operations() || System.nanoTime() >= deadlineNanos;
  }

  /**
   * One client: a loop of calls, one at a time, on random nodes of the pool. It remembers the
   * generation it last registered for a node and mostly uses that, so heartbeats mostly hit;
   * sometimes a new generation (a restart), another address (a move), a deregistration with or
   * without a generation. It sticks to one replica and moves on when that one fails.
   */
  private void client(int index) {
    Random random = new Random(settings.seed() * 1_000_003L + index);
    Map<String, String> generations = new HashMap<>();
    int home = index % slots.size();
    String name = "c" + index;
    while (sent.getAndIncrement() < settings.operations() && System.nanoTime() < deadlineNanos) {
      String node = "n" + random.nextInt(settings.nodes());
      int dice = random.nextInt(100);
      String known = generations.getOrDefault(node, "g0");
      Instance instance = liveInstance(home);
      if (instance == null) {
        sent.decrementAndGet();
        pause(100); // every replica is down for a moment: a client's backoff
        continue;
      }
      String replica = instance.name();
      CoordinatorServiceBlockingStub stub = CoordinatorServiceGrpc.newBlockingStub(instance.channel())
          .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      Operation op;
      if (dice < 30) {
        String generation = random.nextInt(4) == 0 ? "g" + random.nextInt(3) : known;
        String address = random.nextInt(10) == 0 ? "10.0.0.2" : "10.0.0.1";
        NodeInfo info = NodeInfo.newBuilder().setId(node).setAddress(address).setPort(7000)
            .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId(generation).build();
        op = call(name, replica, Kind.REGISTER, node, generation, address, 7000, () -> {
          RegisterNodeResponse r = stub.registerNode(
              RegisterNodeRequest.newBuilder().setNode(info).build());
          return new Ok(r.getTopologyVersion(), r.getAlreadyRegistered());
        });
        if (op.outcome() instanceof Ok) {
          generations.put(node, generation);
        }
      } else if (dice < 40) {
        String generation = random.nextBoolean() ? known : "";
        op = call(name, replica, Kind.DEREGISTER, node, generation, "", 0, () -> new Ok(
            stub.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId(node)
                .setGenerationId(generation).build()).getTopologyVersion(), false));
      } else {
        op = call(name, replica, Kind.HEARTBEAT, node, known, "", 0, () -> new Ok(
            stub.heartbeat(HeartbeatRequest.newBuilder().setNodeId(node).setGenerationId(known)
                .setReportedState(NodeState.NODE_STATE_ACTIVE).build()).getCurrentVersion(),
            false));
      }
      if (op.outcome() instanceof Unknown || op.outcome() instanceof Failed f
          && f.code() == Status.Code.FAILED_PRECONDITION) {
        home = (home + 1) % slots.size(); // as a client's failover would
      }
    }
  }

  private Operation call(String client, String replica, Kind kind, String node, String generation,
      String address, int port, Supplier<Ok> rpc) {
    long sentAt = System.nanoTime();
    Outcome outcome;
    try {
      outcome = rpc.get();
    } catch (StatusRuntimeException e) {
      String why = e.getStatus().getCode() + " " + e.getStatus().getDescription();
      outcome = HistoryChecker.outcomeUnknown(e.getStatus().getCode()) ? new Unknown(why)
          : new Failed(e.getStatus().getCode(), e.getStatus().getDescription());
    }
    long answeredAt = System.nanoTime();
    synchronized (operations) {
      Operation op = new Operation(operations.size(), client, replica, kind, node, generation,
          address, port, sentAt, answeredAt, outcome);
      operations.add(op);
      return op;
    }
  }

  /**
   * One watcher: a stream on a random live replica, kept until that replica stops or for a few
   * seconds, then resumed elsewhere from the last version it delivered.
   */
  private void watcher(int index) {
    Random random = new Random(settings.seed() * 7_919L + index);
    String name = "w" + index;
    long since = 0;
    try {
      while (finished.getCount() > 0) {
        Instance instance = liveInstance(random.nextInt(slots.size()));
        if (instance == null) {
          finished.await(100, TimeUnit.MILLISECONDS);
          continue;
        }
        WatchSession session = WatchSession.open(name, instance.name(), instance.channel(), since);
        long until = System.nanoTime() + Duration.ofMillis(2000 + random.nextInt(4000)).toNanos();
        while (finished.getCount() > 0 && System.nanoTime() < until
            && !session.awaitEnd(Duration.ofMillis(100))) {
          // following: the stream records on gRPC's threads
        }
        since = session.lastVersion();
        segments.add(session.close());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The fault thread (the caller's): one fault at a time, each held for a random while, with
   * quiet spells between, until the clients are done.
   */
  private void injectFaults() throws InterruptedException {
    Random random = new Random(settings.seed());
    while (!done()) {
      int kind = random.nextInt(7);
      long from = System.nanoTime();
      String fault;
      switch (kind) {
        case 0 -> {
          Duration delay = Duration.ofMillis(100 + random.nextInt(1400));
          faulty.delayAll(delay);
          hold(Duration.ofMillis(1000 + random.nextInt(2000)));
          faulty.passAll();
          fault = "etcd answers " + delay.toMillis() + " ms late";
        }
        case 1 -> {
          int member = random.nextInt(faulty.size());
          faulty.blackHole(member);
          hold(Duration.ofMillis(1000 + random.nextInt(3000)));
          faulty.pass(member);
          fault = "etcd member " + member + " black-holed";
        }
        case 2 -> {
          Slot slot = slots.get(random.nextInt(slots.size()));
          Duration down = Duration.ofMillis(500 + random.nextInt(1500));
          String stopped = slot.current.name();
          slot.stop();
          hold(down);
          slot.start();
          fault = "replica " + stopped + " stopped, restarted as " + slot.current.name();
        }
        case 3 -> {
          // One slow member: a commit may land through it after a check read another.
          int member = random.nextInt(faulty.size());
          Duration delay = Duration.ofMillis(500 + random.nextInt(1500));
          faulty.proxy(member).delayResponses(delay);
          hold(Duration.ofMillis(1000 + random.nextInt(3000)));
          faulty.pass(member);
          fault = "etcd member " + member + " answers " + delay.toMillis() + " ms late";
        }
        case 4 -> {
          int member = random.nextInt(faulty.size());
          faulty.reset(member);
          hold(Duration.ofMillis(500 + random.nextInt(1500)));
          fault = "etcd member " + member + "'s connections reset";
        }
        default -> {
          hold(Duration.ofMillis(500 + random.nextInt(1500)));
          fault = "quiet";
        }
      }
      faults.add(String.format("%6.1f-%6.1f s: %s", seconds(from), seconds(System.nanoTime()),
          fault));
    }
  }

  private double seconds(long nanos) {
    return (nanos - startNanos) / 1e9;
  }

  /** Holds a fault for {@code time}, or until the clients are done. */
  private void hold(Duration time) throws InterruptedException {
    long until = Math.min(System.nanoTime() + time.toNanos(), deadlineNanos);
    while (!done() && System.nanoTime() < until) {
      finished.await(Math.min(50_000_000L, until - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
  }

  /** The replica in slot {@code preferred} if it runs, else the next that does; null if none. */
  private Instance liveInstance(int preferred) {
    for (int i = 0; i < slots.size(); i++) {
      Instance instance = slots.get((preferred + i) % slots.size()).current;
      if (instance.running()) {
        return instance;
      }
    }
    return null;
  }

  /**
   * Reads etcd's version and node records at one revision, waits until every replica's cache has
   * that version, and reads the caches; again if the topology moved meanwhile (the failure
   * detector keeps working after the clients stop).
   */
  private History.End settle(KV kv) throws Exception {
    History.End end = null;
    for (int attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
      GetResponse version = kv.get(bytes(keys.version())).get(5, TimeUnit.SECONDS);
      long etcdVersion = version.getKvs().isEmpty() ? 0 : RecordCodec.decodeVersion(
          keys.version(), version.getKvs().get(0).getValue().getBytes());
      List<NodeInfo> nodes = new ArrayList<>();
      for (KeyValue kv1 : kv.get(bytes(keys.nodesPrefix()), GetOption.builder().isPrefix(true)
          .withRevision(version.getHeader().getRevision()).build()).get(5, TimeUnit.SECONDS)
          .getKvs()) {
        nodes.add(RecordCodec.decodeNode(kv1.getKey().toString(StandardCharsets.UTF_8),
            kv1.getValue().getBytes()));
      }
      Map<String, History.Snapshot> caches = new HashMap<>();
      for (Slot slot : slots) {
        Instance instance = slot.current;
        CoordinatorServiceBlockingStub stub =
            CoordinatorServiceGrpc.newBlockingStub(instance.channel());
        Callable<GetTopologyResponse> read = () -> stub.withDeadlineAfter(5, TimeUnit.SECONDS)
            .getTopology(GetTopologyRequest.getDefaultInstance());
        GetTopologyResponse seen;
        try {
          seen = Awaitility.await().atMost(SETTLE).ignoreExceptions()
              .until(read, r -> r.getVersion() >= etcdVersion);
        } catch (ConditionTimeoutException e) {
          seen = read.call(); // a cache that stays behind: the checker names it
        }
        caches.put(instance.name(), new History.Snapshot(seen.getVersion(), Stream.of(
            seen.getFrontendNodesList(), seen.getMetadataNodesList(), seen.getObjectNodesList())
            .flatMap(List::stream).toList()));
      }
      end = new History.End(etcdVersion, nodes, caches);
      if (caches.values().stream().allMatch(s -> s.version() == etcdVersion)) {
        return end;
      }
      log.info("topology moved past v{} while the caches were read; reading again", etcdVersion);
    }
    return end; // the checker names the replica that is not at etcd's version
  }

  private static FacadeConfig replicaConfig(FacadeConfig config) {
    return config
        .withEtcd(config.etcd().withTimeouts(ETCD_TIMEOUT, Duration.ofMillis(500)))
        .withDetector(config.detector().withSessionTtl(SESSION_TTL))
        .withLiveness(config.liveness().withTimeouts(HEARTBEAT, SUSPECT, DOWN));
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One start of a replica, as clients reach it; not running once stopped. */
  private record Instance(String name, ManagedChannel channel, boolean running) {}

  /**
   * One replica position: runs one replica at a time, each start a new instance. Started and
   * stopped by the fault thread only; clients read {@link #current}.
   */
  private final class Slot {
    private final int index;
    private int starts;
    private FacadeServer server;
    volatile Instance current;

    Slot(int index) {
      this.index = index;
    }

    void start() {
      server = harness.start(cluster, HistoryDriver::replicaConfig);
      starts++;
      current = new Instance("r" + index + "#" + starts, harness.channel(server), true);
    }

    void stop() {
      Instance stopping = current;
      current = new Instance(stopping.name(), stopping.channel(), false);
      server.close();
      stopping.channel().shutdownNow();
    }
  }
}
