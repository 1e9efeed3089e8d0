package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.auth.Permission;
import io.gitstratum.coordinator.etcdlocal.EtcdBinary;
import io.gitstratum.coordinator.facade.config.FacadeConfig;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.it.TestNodes;
import io.gitstratum.coordinator.facade.it.WatchRecorder;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.facade.etcd.EtcdAccess;
import io.gitstratum.coordinator.facade.etcd.EtcdAuthToken;
import io.gitstratum.coordinator.facade.etcd.EtcdConnector;
import io.gitstratum.coordinator.facade.lease.LeaseKeepAlives;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade against an etcd that speaks only TLS, requires client certificates and has auth
 * enabled: with a password user and with a client-certificate user, each holding only the role
 * that deploy/etcd-auth/create-role.sh creates (read and write on the facade's prefix). The
 * facade serves; the same credentials cannot touch a key outside the prefix.
 */
@Tag("etcd")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdAuthTest {
  private static final String CLUSTER = "secured";
  private static final String PREFIX = "/gitstratum/" + CLUSTER + "/";
  private static final String ROLE = "gitstratum-coordinator";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir
  static Path dir;

  private static TestPki pki;
  private static TlsEtcd etcd;
  private static Client admin;
  private static EtcdAccess passwordAccess;
  private static EtcdAccess certificateAccess;
  private static TestPki.Issued stranger;

  @BeforeAll
  static void startEtcdWithAuth() throws Exception {
    pki = TestPki.create(dir, "etcd");
    etcd = TlsEtcd.start(dir, pki);
    TestPki.Issued root = pki.client("root", "root", null);
    // Its CN names no etcd user: whatever it may do comes from the password's token.
    stranger = pki.client("stranger", "no-such-user", null);
    TestPki.Issued coordinator = pki.client("coordinator-cert", "coordinator-cert", null);
    Path password = dir.resolve("coordinator.password");
    Files.writeString(password, "s3cret-" + System.nanoTime() + "\n");

    admin = connector(new EtcdAccess(pki.caFile(), root.certificate(), root.key(), null, null))
        .client();
    var auth = admin.getAuthClient();
    auth.userAdd(bytes("root"), bytes("root-" + System.nanoTime())).get(5, TimeUnit.SECONDS);
    auth.userGrantRole(bytes("root"), bytes("root")).get(5, TimeUnit.SECONDS);
    auth.roleAdd(bytes(ROLE)).get(5, TimeUnit.SECONDS);
    auth.roleGrantPermission(bytes(ROLE), bytes(PREFIX), prefixEnd(PREFIX),
        Permission.Type.READWRITE).get(5, TimeUnit.SECONDS);
    auth.userAdd(bytes("coordinator"), bytes(Files.readString(password).strip()))
        .get(5, TimeUnit.SECONDS);
    auth.userGrantRole(bytes("coordinator"), bytes(ROLE)).get(5, TimeUnit.SECONDS);
    // etcd 3.4 wants a password for every user; certificate auth never uses it.
    auth.userAdd(bytes("coordinator-cert"), bytes("unused-" + System.nanoTime()))
        .get(5, TimeUnit.SECONDS);
    auth.userGrantRole(bytes("coordinator-cert"), bytes(ROLE)).get(5, TimeUnit.SECONDS);
    auth.authEnable().get(5, TimeUnit.SECONDS);

    passwordAccess = new EtcdAccess(pki.caFile(), stranger.certificate(), stranger.key(),
        "coordinator", password);
    certificateAccess = new EtcdAccess(pki.caFile(), coordinator.certificate(),
        coordinator.key(), null, null);
  }

  @AfterAll
  static void stopEtcd() {
    if (admin != null) {
      admin.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  private static EtcdConnector connector(EtcdAccess access) {
    return new EtcdConnector(List.of(etcd.endpoint()), access, TIMEOUT);
  }

  @Test
  void aFacadeWithAPasswordUserServesAndStaysInItsPrefix() throws Exception {
    servesAndStaysInItsPrefix(passwordAccess, "pw");
  }

  @Test
  void aFacadeWithAClientCertificateUserServesAndStaysInItsPrefix() throws Exception {
    servesAndStaysInItsPrefix(certificateAccess, "cert");
  }

  private void servesAndStaysInItsPrefix(EtcdAccess access, String tag) throws Exception {
    try (FacadeHarness harness = new FacadeHarness(List.of(etcd.endpoint()))) {
      FacadeConfig config = harness.config(CLUSTER);
      FacadeServer server = harness.start(config.withEtcd(
          config.etcd().withEndpoints(List.of(etcd.endpoint()), access)));
      CoordinatorServiceBlockingStub facade = harness.stub(server);
      try (WatchRecorder watch = WatchRecorder.watch(harness.channel(server), 0)) {
        watch.await(u -> u.hasFullSync(), Duration.ofSeconds(10));
        // The background member check reaches the member over TLS, with the same access.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> facade
            .healthCheck(io.gitstratum.coordinator.proto.HealthCheckRequest.getDefaultInstance())
            .getEtcdMembersList(), members -> members.size() == 1
                && members.get(0).getAnswers() && members.get(0).getProblem().isEmpty());
        String id = "obj-" + tag;
        facade.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node(id)).build());
        watch.await(u -> u.hasNodeAdded() && u.getNodeAdded().getId().equals(id),
            Duration.ofSeconds(10));
        // The steady-state heartbeat renews the lease over the facade's own TLS channel.
        facade.heartbeat(TestNodes.beat(id, NodeState.NODE_STATE_ACTIVE));
        facade.heartbeat(TestNodes.beat(id, NodeState.NODE_STATE_ACTIVE));
        facade.deregisterNode(DeregisterNodeRequest.newBuilder().setNodeId(id).build());
      }
    }
    try (Client same = connector(access).client()) {
      same.getKVClient().put(bytes(PREFIX + "probe-" + tag), bytes("ok"))
          .get(5, TimeUnit.SECONDS);
      for (String outside : List.of("/elsewhere/" + tag, "/gitstratum/other-cluster/" + tag,
          "/gitstratum/secured")) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> same.getKVClient()
            .put(bytes(outside), bytes("x")).get(5, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause()).contains("permission denied"),
            outside + ": " + e.getCause());
      }
      ExecutionException read = assertThrows(ExecutionException.class, () -> same.getKVClient()
          .get(bytes("/elsewhere/" + tag)).get(5, TimeUnit.SECONDS));
      assertTrue(String.valueOf(read.getCause()).contains("permission denied"),
          String.valueOf(read.getCause()));
    }
  }

  @Test
  void theKeepAliveChannelAuthenticatesAndRefreshesItsToken() throws Exception {
    EtcdConnector connector = connector(passwordAccess);
    List<ManagedChannel> channels = connector.channels();
    try {
      EtcdAuthToken token = connector.token().orElseThrow();
      KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channels.get(0))
          .withInterceptors(token.interceptor());
      RangeRequest inPrefix = RangeRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8(PREFIX + "x")).build();
      token.ready(channels.get(0)).get(5, TimeUnit.SECONDS);
      kv.withDeadlineAfter(5, TimeUnit.SECONDS).range(inPrefix);

      // A password change (here to the same password) makes etcd drop the user's tokens.
      admin.getAuthClient().userChangePassword(bytes("coordinator"),
          bytes(Files.readString(passwordAccess.passwordFile()).strip()))
          .get(5, TimeUnit.SECONDS);
      StatusRuntimeException stale = assertThrows(StatusRuntimeException.class,
          () -> kv.withDeadlineAfter(5, TimeUnit.SECONDS).range(inPrefix));
      token.invalidateIfRejected(stale);
      token.ready(channels.get(0)).get(5, TimeUnit.SECONDS);
      kv.withDeadlineAfter(5, TimeUnit.SECONDS).range(inPrefix);
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }

    long lease = admin.getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
    try (LeaseKeepAlives keepAlives = new LeaseKeepAlives(connector.channels(),
        connector.token(), TIMEOUT, new FacadeMetrics())) {
      assertTrue(keepAlives.keepAlive(lease) > 0);
    }
    Path wrong = dir.resolve("wrong.password");
    Files.writeString(wrong, "not-the-password\n");
    EtcdConnector bad = connector(new EtcdAccess(pki.caFile(), stranger.certificate(),
        stranger.key(), "coordinator", wrong));
    try (LeaseKeepAlives keepAlives = new LeaseKeepAlives(bad.channels(), bad.token(), TIMEOUT,
        new FacadeMetrics())) {
      UnavailableException e = assertThrows(UnavailableException.class,
          () -> keepAlives.keepAlive(lease));
      assertTrue(e.getMessage().contains("authentication"), e.getMessage());
    }
  }

  /**
   * Fetching a token never blocks its caller (heartbeats renew leases from gRPC's transport
   * threads) and never runs two Authenticates at once: callers meanwhile join the one in
   * flight. First against an endpoint that accepts connections and answers nothing, then
   * against etcd.
   */
  @Test
  void aTokenIsFetchedWithoutBlockingOnceForAllWhoWait() throws Exception {
    EtcdConnector connector = new EtcdConnector(List.of(etcd.endpoint()), passwordAccess,
        Duration.ofSeconds(1));
    AtomicInteger authenticates = new AtomicInteger();
    ClientInterceptor counting = new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method,
          CallOptions options, Channel next) {
        if (method.equals(AuthGrpc.getAuthenticateMethod())) {
          authenticates.incrementAndGet();
        }
        return next.newCall(method, options);
      }
    };
    try (ServerSocket silent = new ServerSocket(0)) {
      ManagedChannel toSilent = connector.channel("https://127.0.0.1:" + silent.getLocalPort());
      try {
        EtcdAuthToken token = connector.token().orElseThrow();
        Channel counted = ClientInterceptors.intercept(toSilent, counting);
        long asked = System.nanoTime();
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          waiting.add(token.ready(counted));
        }
        long tookMs = (System.nanoTime() - asked) / 1_000_000;
        assertTrue(tookMs < 500, "20 callers waited " + tookMs + " ms for a token");
        assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone));
        assertEquals(1, authenticates.get(), "Authenticates sent for 20 callers");
        for (CompletableFuture<Void> w : waiting) {
          ExecutionException failed = assertThrows(ExecutionException.class,
              () -> w.get(5, TimeUnit.SECONDS));
          assertTrue(failed.getCause() instanceof UnavailableException
              && failed.getCause().getMessage().contains("authentication of user 'coordinator'"
                  + " failed: DEADLINE_EXCEEDED"), String.valueOf(failed.getCause()));
        }
      } finally {
        toSilent.shutdownNow();
      }
    }

    authenticates.set(0);
    List<ManagedChannel> channels = connector.channels();
    try {
      EtcdAuthToken token = connector.token().orElseThrow();
      Channel counted = ClientInterceptors.intercept(channels.get(0), counting);
      List<CompletableFuture<Void>> waiting = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        waiting.add(token.ready(counted));
      }
      CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
      assertEquals(1, authenticates.get(), "Authenticates sent for 20 callers");
      assertTrue(token.ready(counted).isDone(), "a token at hand is handed out at once");
      KVGrpc.newBlockingStub(channels.get(0)).withInterceptors(token.interceptor())
          .withDeadlineAfter(5, TimeUnit.SECONDS).range(RangeRequest.newBuilder()
              .setKey(ByteString.copyFromUtf8(PREFIX + "x")).build());
      assertEquals(1, authenticates.get());
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  @Test
  void theRoleScriptCreatesARoleLimitedToThePrefix() throws Exception {
    TestPki.Issued root = pki.client("root-cli", "root", null);
    Path password = dir.resolve("scripted.password");
    Files.writeString(password, "scripted-" + System.nanoTime() + "\n");
    List<String> args = List.of("--prefix", "/gitstratum/scripted/", "--role", "scripted-role",
        "--user", "scripted", "--password-file", password.toString());
    Map<String, String> env = Map.of(
        "ETCDCTL_ENDPOINTS", etcd.endpoint(),
        "ETCDCTL_CACERT", pki.caFile().toString(),
        "ETCDCTL_CERT", root.certificate().toString(),
        "ETCDCTL_KEY", root.key().toString());
    String first = runScript(args, env);
    assertTrue(first.contains("role scripted-role created"), first);
    String again = runScript(args, env);
    assertTrue(again.contains("role scripted-role exists")
        && again.contains("user scripted exists"), "running it again keeps what exists: " + again);

    EtcdAccess scripted = new EtcdAccess(pki.caFile(), stranger.certificate(), stranger.key(),
        "scripted", password);
    try (Client client = connector(scripted).client()) {
      client.getKVClient().put(bytes("/gitstratum/scripted/x"), bytes("ok"))
          .get(5, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class, () -> client.getKVClient()
          .put(bytes(PREFIX + "x"), bytes("x")).get(5, TimeUnit.SECONDS));
      assertTrue(String.valueOf(e.getCause()).contains("permission denied"));
    }
  }

  private static String runScript(List<String> args, Map<String, String> env)
      throws IOException, InterruptedException {
    Path script = repositoryRoot().resolve("deploy/etcd-auth/create-role.sh");
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    // etcdctl ships next to etcd.
    Path etcdDir = EtcdBinary.require().toAbsolutePath().getParent();
    builder.environment().put("PATH", etcdDir + ":" + System.getenv("PATH"));
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "script finished");
    assertEquals(0, process.exitValue(), output);
    return output;
  }

  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 5 && dir != null; i++, dir = dir.getParent()) {
      if (Files.exists(dir.resolve("deploy/etcd-auth/create-role.sh"))) {
        return dir;
      }
    }
    throw new IllegalStateException("repository root not found from " + Path.of("")
        .toAbsolutePath());
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  /** The end of the key range a prefix covers: its last byte plus one. */
  private static ByteSequence prefixEnd(String prefix) {
    byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
    end[end.length - 1]++;
    return ByteSequence.from(end);
  }
}
