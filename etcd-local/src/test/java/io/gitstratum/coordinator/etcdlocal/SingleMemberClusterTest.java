package io.gitstratum.coordinator.etcdlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real etcd, one member per test (about 0.2 s each with fast timers). */
@Tag("etcd")
@Timeout(60)
class SingleMemberClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path tempDir;

  private LocalEtcdCluster cluster;

  @AfterEach
  void closeCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static LocalEtcdCluster.Options.Builder fast() {
    return LocalEtcdCluster.Options.builder().fastTimers(true);
  }

  @Test
  void startsAndAnswersHealthAndMetrics() throws Exception {
    cluster = LocalEtcdCluster.start(fast().build());
    EtcdMember member = cluster.member(0);

    assertEquals(1, cluster.members().size());
    assertEquals(List.of("http://127.0.0.1:" + member.clientPort()), cluster.endpoints());
    assertEquals(member.clientEndpoint(), cluster.endpointsCsv());
    assertTrue(member.isRunning());
    assertTrue(member.pid().isPresent());
    assertTrue(EtcdHttp.healthy(member.clientEndpoint()));
    assertTrue(EtcdHttp.get(member.metricsUrl()).contains("etcd_server_has_leader 1"));
    assertTrue(Files.exists(cluster.baseDir().resolve("etcd-0.log")));
  }

  @Test
  void etcdRunsInASessionOfItsOwnSoATerminalsCtrlCDoesNotReachIt() throws Exception {
    Path self = Path.of("/proc/self/stat");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(self)
        && Files.isExecutable(Path.of("/usr/bin/setsid")), "Linux with setsid only");
    cluster = LocalEtcdCluster.start(fast().build());
    long pid = cluster.member(0).pid().orElseThrow();
    String etcdStat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    assertTrue(etcdStat.contains("(etcd)"), "the process started is etcd itself: " + etcdStat);
    assertNotEquals(session(Files.readString(self)), session(etcdStat));
    assertEquals(pid, session(etcdStat), "etcd leads its own session");
  }

  @Test
  void fixedPortsHeldByAnotherEtcdAreAConflictNotAStart(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    List<Integer> ports = FreePorts.pick(2);
    cluster = LocalEtcdCluster.start(fast().baseDir(dir.resolve("a"))
        .fixedPorts(ports.get(0), ports.get(1)).build());
    // The port answers the health probe (the first etcd), which must not pass for a start.
    EtcdStartException conflict = assertThrows(EtcdStartException.class,
        () -> LocalEtcdCluster.start(fast().baseDir(dir.resolve("b"))
            .fixedPorts(ports.get(0), ports.get(1)).build()).close());
    assertTrue(conflict.portConflict(), conflict.getMessage());
    assertTrue(EtcdHttp.healthy(cluster.member(0).clientEndpoint()), "the first one still runs");
  }

  /** Field 6 of /proc/<pid>/stat (after the command name in parentheses): the session id. */
  private static long session(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[3]);
  }

  @Test
  void stopMakesThePortRefuseConnections() throws Exception {
    cluster = LocalEtcdCluster.start(fast().build());
    int port = cluster.member(0).clientPort();

    cluster.stopMember(0);

    assertFalse(cluster.member(0).isRunning());
    assertTrue(cluster.member(0).pid().isEmpty());
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
  }

  @Test
  void restartKeepsDataAndPorts() throws Exception {
    cluster = LocalEtcdCluster.start(fast().build());
    EtcdMember member = cluster.member(0);
    long firstPid = member.pid().orElseThrow();
    EtcdHttp.put(member.clientEndpoint(), "restart-key", "kept");

    cluster.restartMember(0);

    assertNotEquals(firstPid, member.pid().orElseThrow());
    assertTrue(EtcdHttp.healthy(member.clientEndpoint()));
    assertEquals(Optional.of("kept"), EtcdHttp.get(member.clientEndpoint(), "restart-key"));
  }

  @Test
  void crashThenStartKeepsCommittedData() throws Exception {
    cluster = LocalEtcdCluster.start(fast().build());
    EtcdMember member = cluster.member(0);
    EtcdHttp.put(member.clientEndpoint(), "crash-key", "durable");

    member.kill();
    assertFalse(member.isRunning());
    member.start();

    assertEquals(Optional.of("durable"), EtcdHttp.get(member.clientEndpoint(), "crash-key"));
  }

  @Test
  void closeStopsProcessesAndDeletesTemporaryBaseDir() throws Exception {
    cluster = LocalEtcdCluster.start(fast().build());
    long pid = cluster.member(0).pid().orElseThrow();
    Path base = cluster.baseDir();

    cluster.close();
    cluster.close(); // idempotent

    assertFalse(Files.exists(base));
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    assertThrows(IllegalStateException.class, () -> cluster.stopMember(0));
  }

  @Test
  void givenBaseDirIsKeptAndReusedOnNewPorts() throws Exception {
    Path base = tempDir.resolve("embedded");
    try (LocalEtcdCluster first = LocalEtcdCluster.start(fast().baseDir(base).build())) {
      EtcdHttp.put(first.member(0).clientEndpoint(), "persistent", "yes");
    }
    assertTrue(Files.isDirectory(base.resolve("etcd-0")));

    cluster = LocalEtcdCluster.start(fast().baseDir(base).build());

    assertEquals(
        Optional.of("yes"), EtcdHttp.get(cluster.member(0).clientEndpoint(), "persistent"));
  }

  @Test
  void portTakenByAnotherProcessIsReportedWithLogTail() throws Exception {
    try (ServerSocket squatter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int taken = squatter.getLocalPort();
      int peerBase = taken == 65535 ? taken - 1 : taken + 1;
      LocalEtcdCluster.Options options =
          fast().baseDir(tempDir.resolve("conflict")).fixedPorts(taken, peerBase).build();

      EtcdStartException e =
          assertThrows(EtcdStartException.class, () -> LocalEtcdCluster.start(options));

      assertTrue(e.portConflict(), e.getMessage());
      assertEquals("etcd-0", e.memberName());
      assertTrue(e.getMessage().contains("address already in use"), e.getMessage());
      // The failed attempt's fresh data dir is removed so a later start is not confused by it.
      assertFalse(Files.exists(tempDir.resolve("conflict/etcd-0")));
    }
  }

  @Test
  void missingBinaryFailsFast() {
    LocalEtcdCluster.Options options =
        fast().binary(tempDir.resolve("no-such-etcd")).healthTimeout(WAIT).build();

    assertThrows(IOException.class, () -> LocalEtcdCluster.start(options));
  }
}
