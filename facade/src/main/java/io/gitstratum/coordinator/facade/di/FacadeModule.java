package io.gitstratum.coordinator.facade.di;

import dagger.Module;
import dagger.Provides;
import io.etcd.jetcd.Client;
import io.gitstratum.coordinator.facade.admin.AdminService;
import io.gitstratum.coordinator.facade.cache.CacheSupervisor;
import io.gitstratum.coordinator.facade.cache.TopologyCache;
import io.gitstratum.coordinator.facade.cache.TopologyResponses;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.detect.DetectorSettings;
import io.gitstratum.coordinator.facade.detect.FailureDetector;
import io.gitstratum.coordinator.facade.errors.StatusMapper;
import io.gitstratum.coordinator.facade.guard.ClientIdentities;
import io.gitstratum.coordinator.facade.guard.GuardInterceptor;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.guard.NodeAuthorizer;
import io.gitstratum.coordinator.facade.guard.WatchStreamCounter;
import io.gitstratum.coordinator.facade.heartbeat.LivenessSettings;
import io.gitstratum.coordinator.facade.leader.DetectorElection;
import io.gitstratum.coordinator.facade.leader.Leadership;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.metrics.RpcMetricsInterceptor;
import io.gitstratum.coordinator.facade.ops.OpsHttpServer;
import io.gitstratum.coordinator.facade.ops.StatusReads;
import io.gitstratum.coordinator.facade.ops.StatusReport;
import io.gitstratum.coordinator.facade.server.CoordinatorService;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.server.ListenSettings;
import io.gitstratum.coordinator.facade.server.RingCache;
import io.gitstratum.coordinator.facade.store.EtcdAdminStore;
import io.gitstratum.coordinator.facade.etcd.EtcdConnector;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.facade.etcd.SilentMembers;
import io.gitstratum.coordinator.facade.store.MemberRoutes;
import io.gitstratum.coordinator.facade.store.EtcdTopologyStore;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.facade.lease.LeasePool;
import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.facade.tls.ServerTls;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.facade.watch.WatchHub;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import io.gitstratum.coordinator.facade.write.TopologyWriter;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.FacadeRecord;
import io.grpc.ServerBuilder;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What Dagger cannot build from {@code @Inject} constructors alone: values taken apart from the
 * configuration (each concern's settings record), jetcd's client and the keyspace, the threads
 * (each named, so a thread dump says whose it is), and components whose construction involves a
 * decision or a value computed from several settings. Everything built only from other
 * components and settings records has an {@code @Inject} constructor instead.
 */
@Module
final class FacadeModule {
  private FacadeModule() {}

  @Provides
  static ListenSettings listen(FacadeConfig config) {
    return config.listen();
  }

  /** This replica's name: in the election, under {@code P/facades/}, in the change history. */
  @Provides
  @Named("replicaId")
  static String replicaId(ListenSettings listen) {
    return listen.replicaId();
  }

  @Provides
  static EtcdSettings etcd(FacadeConfig config) {
    return config.etcd();
  }

  @Provides
  static TxnLimits txnLimits(FacadeConfig config) {
    return config.txn();
  }

  @Provides
  static LivenessSettings liveness(FacadeConfig config) {
    return config.liveness();
  }

  @Provides
  static WatchSettings watch(FacadeConfig config) {
    return config.watch();
  }

  @Provides
  static DetectorSettings detector(FacadeConfig config) {
    return config.detector();
  }

  @Provides
  static LimitSettings limits(FacadeConfig config) {
    return config.limits();
  }

  @Provides
  static TlsSettings tls(FacadeConfig config) {
    return config.tls();
  }

  @Provides
  @Singleton
  static EtcdConnector etcdConnector(EtcdSettings etcd) {
    return new EtcdConnector(etcd.endpoints(), etcd.access(), etcd.timeout(),
        etcd.maxResponseBytes());
  }

  @Provides
  @Singleton
  static Client etcdClient(EtcdConnector connector) {
    return connector.client();
  }

  @Provides
  @Singleton
  static Keyspace keyspace(EtcdSettings etcd) {
    return Keyspace.of(etcd.root(), etcd.cluster());
  }

  /** The background check of each etcd member, on the timer thread (its calls do not block). */
  @Provides
  @Singleton
  static EtcdMemberHealth memberHealth(Client client, EtcdConnector connector, EtcdSettings etcd,
      ScheduledExecutorService scheduler, Clock clock) {
    return new EtcdMemberHealth(client, connector::channel, etcd.endpoints(), etcd.timeout(),
        scheduler, clock::millis);
  }

  @Provides
  @Singleton
  static EtcdTopologyStore store(Client client, EtcdConnector connector, SilentMembers silent,
      Keyspace keys, EtcdSettings etcd, FacadeMetrics metrics) {
    return new EtcdTopologyStore(client, new MemberRoutes(connector.clientPerEndpoint(), silent),
        keys, etcd.timeout(), etcd.pageBytes(), metrics);
  }

  @Provides
  @Singleton
  static ScheduledExecutorService scheduler() {
    return Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "facade-timers");
      thread.setDaemon(true);
      return thread;
    });
  }

  @Provides
  @Singleton
  static CacheSupervisor supervisor(EtcdTopologyStore store, TopologyCache cache,
      EtcdSettings etcd) {
    return CacheSupervisor.onOwnThread(store, cache, etcd.cacheCheckInterval(), etcd.timeout());
  }

  @Provides
  @Singleton
  static TopologyWriter writer(EtcdTopologyStore store, TopologyCache cache, EtcdSettings etcd,
      TxnLimits limits, LivenessSettings liveness, LeaseKeepAlives keepAlives, Clock clock,
      FacadeMetrics metrics) {
    long aliveTtl = liveness.suspectTimeout().toSeconds();
    // Pooled alive leases are used within a quarter of their TTL (at most a second) of the grant.
    Duration maxAge = Duration.ofMillis(Math.min(1_000, aliveTtl * 1_000 / 4));
    LeasePool aliveLeases = new LeasePool(store, aliveTtl, 2 * limits.maxOps(), maxAge,
        System::nanoTime);
    return new TopologyWriter(store, cache, etcd.timeout(), etcd.casAttempts(), aliveLeases,
        keepAlives, liveness.grace(),
        TopologyWriter.DEFAULT_MAX_QUEUED, limits, clock, metrics);
  }

  @Provides
  @Singleton
  @Named("detector")
  static ScheduledExecutorService detectorThread() {
    return Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "facade-detector");
      thread.setDaemon(true);
      return thread;
    });
  }

  @Provides
  @Singleton
  static DetectorElection election(Client client, LeaseKeepAlives keepAlives, Keyspace keys,
      ListenSettings listen, DetectorSettings detector, EtcdSettings etcd, Clock clock,
      @Named("detector") ScheduledExecutorService thread) {
    FacadeRecord self = FacadeRecord.newBuilder()
        .setReplicaId(listen.replicaId())
        .setAddress(listen.advertiseAddress())
        .setStartedAt(clock.millis())
        .build();
    return new DetectorElection(client, keepAlives, keys, self, detector.sessionTtl(),
        etcd.timeout(), thread, System::nanoTime);
  }

  @Provides
  static Leadership leadership(DetectorElection election) {
    return election;
  }

  @Provides
  @Singleton
  static LeaseKeepAlives keepAlives(EtcdConnector connector, SilentMembers silent,
      EtcdSettings etcd, LivenessSettings liveness, FacadeMetrics metrics) {
    return new LeaseKeepAlives(connector.channels(), connector.token(), etcd.timeout(),
        liveness.heartbeatShedAfter(), liveness.suspectTimeout(), liveness.heartbeatInterval(),
        silent, metrics);
  }

  /** The etcd members found silent: one view for the keep-alive lanes and the commits. */
  @Provides
  @Singleton
  static SilentMembers silentMembers(EtcdSettings etcd) {
    return new SilentMembers(etcd.endpoints().size(), etcd.timeout());
  }

  @Provides
  @Singleton
  static TopologyResponses responses(Leadership leadership) {
    return new TopologyResponses(
        () -> leadership.leader().map(Leadership.LeaderInfo::replicaId).orElse(""));
  }

  @Provides
  @Singleton
  static WatchHub hub(TopologyCache cache, EtcdTopologyStore store, TopologyResponses responses,
      Clock clock, WatchSettings watch, EtcdSettings etcd, ScheduledExecutorService scheduler) {
    ExecutorService senders = Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()), runnable -> {
          Thread thread = new Thread(runnable, "watch-sender");
          thread.setDaemon(true);
          return thread;
        });
    return new WatchHub(cache, store, responses, clock, System::nanoTime, watch, etcd.timeout(),
        senders, scheduler, StatusMapper::toException);
  }

  @Provides
  @Singleton
  static NodeAuthorizer authorizer(TlsSettings tls) {
    return new NodeAuthorizer(tls.mutual(), tls.operators());
  }

  @Provides
  @Singleton
  static ClientIdentities identities(ServerTls tls) {
    return new ClientIdentities(tls.settings().mutual(), tls::isRevoked);
  }

  /**
   * Blocking etcd work of the admin service (the pause key, history reads): one at a time, at
   * most 64 waiting; the thread ends after a minute idle.
   */
  @Provides
  @Singleton
  @Named("admin")
  static ExecutorService adminThread() {
    return new ThreadPoolExecutor(0, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(64),
        runnable -> {
          Thread thread = new Thread(runnable, "admin");
          thread.setDaemon(true);
          return thread;
        });
  }

  @Provides
  @Singleton
  static WatchStreamCounter watchStreams(LimitSettings limits) {
    return new WatchStreamCounter(limits.watchStreamsPerClient());
  }

  @Provides
  @Singleton
  static OpsHttpServer ops(ListenSettings listen, FacadeMetrics metrics, TopologyCache cache,
      WatchHub hub, FailureDetector detector, Leadership leadership, RingCache rings,
      Clock clock, EtcdAdminStore adminStore, @Named("admin") ExecutorService adminThread,
      DetectorSettings detectorSettings, EtcdMemberHealth members) {
    StatusReads reads = new StatusReads(adminStore, adminThread, clock::millis, 20,
        cache::aliveLease);
    metrics.observeState(() -> cache.state().topology(), hub::subscriberCount, hub::queuedUpdates,
        () -> detector.protection().protecting(),
        () -> detector.protection().zones().size(),
        () -> detector.protection().paused(clock.millis()));
    metrics.observeFullSyncs(hub::fullSyncBytesInTransit, hub::fullSyncsWaiting);
    metrics.observeReplica(cache::isSynced, leadership::isLeader,
        () -> cache.detectorPause().isPresent());
    metrics.observeZones(() -> cache.state().topology(), detectorSettings.zoneLabel());
    metrics.observeEtcdMembers(() -> members.members().upByName());
    Supplier<StatusReport.Snapshot> snapshot = () -> {
      TopologyCache.State state = cache.state();
      var topology = state.topology();
      return new StatusReport.Snapshot(topology, rings.ringFor(topology),
          leadership.leader(), listen.replicaId(), hub.subscriberCount(),
          detector.protection(), cache.detectorPause(), reads.history(topology.version()),
          reads.replicas(topology.version()), cache.isSynced(), state.revision(),
          state.raftTerm(), members.members(), detectorSettings.zoneLabel(),
          reads::lastHeartbeats, clock.millis());
    };
    return new OpsHttpServer(listen.httpHost(), listen.httpPort(), metrics, cache::isSynced,
        query -> StatusReport.json(snapshot.get(), query),
        () -> StatusReport.firstView(snapshot.get()));
  }

  @Provides
  @Singleton
  static FacadeServer server(FacadeConfig config, Client client, EtcdTopologyStore store,
      TopologyCache cache, CacheSupervisor supervisor, WatchHub hub, DetectorElection election,
      FailureDetector detector, LeaseKeepAlives keepAlives, TopologyWriter writer,
      ScheduledExecutorService scheduler,
      @Named("detector") ScheduledExecutorService detectorThread, Clock clock,
      ServerBuilder<?> builder, CoordinatorService service, AdminService admin, OpsHttpServer ops,
      FacadeMetrics metrics, GuardInterceptor guard, ServerTls tls, EtcdMemberHealth members) {
    tls.applyTo(builder);
    builder.maxInboundMessageSize(config.limits().maxRequestBytes());
    // Handlers run on the transport threads: none blocks (etcd work is asynchronous; large
    // answers are built on CoordinatorService's own threads), and a heartbeat handed to an
    // application thread waited there, unseen, exactly when the replica was short of CPU.
    // Measured at 30,000 nodes: 0.88 -> 0.66 replica cores; at 45,000 a cliff became 4,500
    // heartbeats/s accepted with p99 65 ms.
    builder.directExecutor();
    // The last interceptor added runs first: metrics see every call, refused ones included.
    builder.intercept(guard);
    builder.intercept(new RpcMetricsInterceptor(metrics));
    return new FacadeServer(config, client, store, cache, supervisor, hub,
        new FacadeServer.Liveness(election, detector, keepAlives, detectorThread, writer), ops,
        scheduler, clock, builder, List.of(service.definition(), admin.bindService()), tls,
        members);
  }
}
