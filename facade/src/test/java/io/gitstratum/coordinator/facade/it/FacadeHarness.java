package io.gitstratum.coordinator.facade.it;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.di.FacadeComponent;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.server.ListenSettings;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Real facade replicas on loopback ports for one test class, over the etcd the class started,
 * each on its own cluster prefix when asked. Closes everything it started.
 */
public final class FacadeHarness implements AutoCloseable {
  /**
   * A deadline for each call: a stub's own ({@code withDeadlineAfter}) counts from the stub's
   * creation and ran out under long tests on a busy machine. A call that sets one keeps it.
   */
  private static final ClientInterceptor EACH_CALL_30_SECONDS = new ClientInterceptor() {
    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method,
        CallOptions options, Channel next) {
      return next.newCall(method, options.getDeadline() != null ? options
          : options.withDeadlineAfter(30, TimeUnit.SECONDS));
    }
  };

  private final List<String> etcdEndpoints;
  private final List<FacadeServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Client etcd;

  public FacadeHarness(List<String> etcdEndpoints) {
    this.etcdEndpoints = List.copyOf(etcdEndpoints);
  }

  /**
   * Short etcd timeouts so that failure tests finish in seconds. Nodes in most tests never
   * heartbeat, so liveness keeps its defaults (30 s / 60 s) here; liveness tests shorten it with
   * {@link #fastLiveness}. No rate or stream limits: every test client calls from 127.0.0.1, so
   * they would all share one client's limits; the limit tests set their own.
   */
  public FacadeConfig config(String cluster) {
    // Every test client comes from 127.0.0.1: one rate-limit budget would throttle them all.
    FacadeConfig defaults = FacadeConfig.defaults(etcdEndpoints);
    EtcdSettings etcd = defaults.etcd();
    return defaults
        .withListen(new ListenSettings("127.0.0.1", 0, "127.0.0.1:0", "127.0.0.1", 0,
            "replica-" + servers.size()))
        .withEtcd(new EtcdSettings(etcd.endpoints(), etcd.root(), cluster, Duration.ofSeconds(2),
            etcd.maxResponseBytes(), Duration.ofSeconds(10), Duration.ofMillis(500),
            etcd.casAttempts(), etcd.access(), null, etcd.embeddedPort()))
        .withDetector(defaults.detector().withSessionTtl(Duration.ofSeconds(2)))
        .withLimits(LimitSettings.unlimited());
  }


  public FacadeServer start(String cluster) {
    return start(config(cluster));
  }

  public FacadeServer start(FacadeConfig config) {
    FacadeServer server = FacadeComponent.create(config, Clock.systemUTC(),
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))).server();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    servers.add(server);
    return server;
  }

  /** Heartbeat 1 s, suspect 2 s, down 4 s: the shortest etcd's lease TTLs allow. */
  public static FacadeConfig fastLiveness(FacadeConfig config) {
    return config.withLiveness(config.liveness().withTimeouts(Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(4)));
  }

  public FacadeServer start(String cluster, UnaryOperator<FacadeConfig> tweak) {
    return start(tweak.apply(config(cluster)));
  }

  public CoordinatorServiceBlockingStub stub(FacadeServer server) {
    return CoordinatorServiceGrpc.newBlockingStub(channel(server))
        .withInterceptors(EACH_CALL_30_SECONDS);
  }

  /** A plaintext channel to one replica, closed with the harness. */
  public ManagedChannel channel(FacadeServer server) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  /** A plain jetcd client on the same etcd, for checking what the facade wrote. */
  public Client etcd() {
    if (etcd == null) {
      etcd = Client.builder().endpoints(etcdEndpoints.toArray(String[]::new)).build();
    }
    return etcd;
  }

  public long etcdRevision() {
    try {
      return etcd().getKVClient().get(bytes("/"), GetOption.builder().withCountOnly(true).build())
          .get(5, TimeUnit.SECONDS).getHeader().getRevision();
    } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  public List<KeyValue> etcdPrefix(String prefix) {
    try {
      return etcd().getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build())
          .get(5, TimeUnit.SECONDS).getKvs();
    } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A cluster name of its own for one test method, so tests sharing an etcd do not meet. */
  public static String clusterFor(org.junit.jupiter.api.TestInfo test) {
    return clusterFor(test.getTestMethod().orElseThrow().getName());
  }

  static String clusterFor(String testName) {
    return testName.length() <= 60 ? testName : testName.substring(0, 60);
  }

  public static Keyspace keys(String cluster) {
    return Keyspace.of(Keyspace.DEFAULT_ROOT, cluster);
  }

  public static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(FacadeServer::close);
    if (etcd != null) {
      etcd.close();
    }
  }
}
