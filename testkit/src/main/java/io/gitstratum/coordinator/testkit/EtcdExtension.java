package io.gitstratum.coordinator.testkit;

import io.gitstratum.coordinator.etcdlocal.EtcdBinary;
import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that gives a test class a real etcd cluster:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EtcdExtension etcd = EtcdExtension.singleMember();
 *
 * @Test
 * void works() {
 *   String[] endpoints = etcd.endpoints().toArray(String[]::new);
 *   try (Client client = Client.builder().endpoints(endpoints).build()) {
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>The cluster starts before the class's {@code @BeforeAll} methods and stops after its
 * {@code @AfterAll} methods; all tests of the class (and of its {@code @Nested} classes) share it,
 * so tests should use their own key prefixes. Members run as local {@code etcd} processes with
 * fast raft timers (heartbeat 10 ms, election timeout 100 ms); without a local etcd binary but
 * with Docker, they run in containers instead (see {@link #isLocalProcess()}). With neither, the
 * class fails with instructions to install etcd: it is never skipped.
 *
 * <p>Register it on a {@code static} field: JUnit calls the before/after-all callbacks only
 * for extensions in static fields, so on an instance field nothing would start. Accessors may
 * be called from any thread while the cluster runs and throw {@link IllegalStateException}
 * outside that window. The extension owns the cluster: do not close it yourself.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback {

  private final int members;
  private final Object lock = new Object();
  private int activeClasses; // guarded by lock; the outer class plus running @Nested classes
  private EtcdBackend backend; // guarded by lock; non-null exactly while activeClasses > 0

  private EtcdExtension(int members) {
    this.members = members;
  }

  /** One member: enough for everything except failover tests. */
  public static EtcdExtension singleMember() {
    return new EtcdExtension(1);
  }

  /** Three members, for tests that stop members and need quorum to survive. */
  public static EtcdExtension threeMembers() {
    return new EtcdExtension(3);
  }

  /** Starts the cluster for the outermost class; blocks until every member is healthy. */
  @Override
  public void beforeAll(ExtensionContext context) {
    synchronized (lock) {
      if (backend == null) {
        backend = EtcdBackends.start(members);
      }
      activeClasses++;
    }
  }

  /** Stops the cluster once the outermost class is done. */
  @Override
  public void afterAll(ExtensionContext context) {
    synchronized (lock) {
      if (activeClasses == 0) {
        return; // beforeAll failed, so there is nothing to stop
      }
      activeClasses--;
      if (activeClasses == 0) {
        EtcdBackend running = backend;
        backend = null;
        running.close();
      }
    }
  }

  /** Number of members this extension starts. */
  public int memberCount() {
    return members;
  }

  /** Client endpoints ({@code http://host:port}) of all members, stopped ones included. */
  public List<String> endpoints() {
    return backend().endpoints();
  }

  /** {@link #endpoints()} joined with commas. */
  public String endpointsCsv() {
    return String.join(",", endpoints());
  }

  /** Prometheus metrics URL of the first member. */
  public String metricsUrl() {
    return backend().metricsUrl();
  }

  /** True when members are local processes, so that {@link #cluster()} is available. */
  public boolean isLocalProcess() {
    return backend().localCluster().isPresent();
  }

  /**
   * The local cluster, for stopping and restarting individual members. Owned by the extension.
   *
   * @throws IllegalStateException on the container fallback, where members cannot be controlled
   *     one by one
   */
  public LocalEtcdCluster cluster() {
    return backend()
        .localCluster()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "etcd is running in Docker containers (no local etcd binary was found), where"
                        + " members cannot be stopped or restarted one by one. Tests that need"
                        + " that require a local etcd: "
                        + EtcdBinary.INSTALL_HINT));
  }

  private EtcdBackend backend() {
    synchronized (lock) {
      if (backend == null) {
        throw new IllegalStateException(
            "EtcdExtension is not running: register it with @RegisterExtension on a static field"
                + " and use it only from tests, @BeforeAll/@AfterAll or @BeforeEach/@AfterEach"
                + " methods of that class");
      }
      return backend;
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      Object state = backend == null ? "not running" : backend;
      return "EtcdExtension[" + members + " member(s), " + state + "]";
    }
  }
}
