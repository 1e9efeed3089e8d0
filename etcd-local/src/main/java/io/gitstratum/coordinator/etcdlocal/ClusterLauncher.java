package io.gitstratum.coordinator.etcdlocal;

import io.gitstratum.coordinator.etcdlocal.LocalEtcdCluster.Options;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start procedure of a {@link LocalEtcdCluster}: choose ports, names and data dirs, launch
 * every member, wait until all are healthy, and start over on fresh ports when a randomly picked
 * port was taken in the meantime. Stateless; blocks the calling thread.
 */
final class ClusterLauncher {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterLauncher.class);

  /** Whole-cluster start attempts when a randomly picked port was taken before etcd bound it. */
  static final int MAX_START_ATTEMPTS = 3;

  private static final long POLL_MILLIS = 20;

  private ClusterLauncher() {}

  /**
   * Starts the members described by {@code options} under {@code baseDir}. On failure nothing is
   * left running and data dirs created by this call are removed.
   */
  static List<EtcdMember> startMembers(Options options, Path binary, Path baseDir)
      throws IOException {
    int attempts = options.hasFixedPorts() ? 1 : MAX_START_ATTEMPTS;
    if (options.hasFixedPorts()) {
      requireFree(options);
    }
    for (int attempt = 1; ; attempt++) {
      List<EtcdMember> members = plan(options, binary, baseDir);
      // Data dirs created by a failed attempt remember its ports and token: remove those, but
      // never a data dir that held a member before this call.
      List<Path> freshDataDirs =
          members.stream().map(EtcdMember::dataDir).filter(dir -> !Files.exists(dir)).toList();
      try {
        launchAndAwaitHealthy(members, options.healthTimeout());
        return members;
      } catch (IOException | RuntimeException e) {
        members.forEach(EtcdMember::kill);
        freshDataDirs.forEach(Directories::deleteQuietly);
        boolean retry =
            e instanceof EtcdStartException start && start.portConflict() && attempt < attempts;
        if (!retry) {
          throw e;
        }
        LOG.warn(
            "etcd member {} lost a port race; retrying on new ports (attempt {} of {})",
            ((EtcdStartException) e).memberName(), attempt + 1, attempts);
      }
    }
  }

  /**
   * Fixed ports must be free before etcd starts: a port held by another etcd answers the health
   * probe while the new member exits on its bind error, which would pass for a start.
   */
  private static void requireFree(Options options) throws IOException {
    for (int i = 0; i < options.members(); i++) {
      for (int port : List.of(options.clientPortBase() + i, options.peerPortBase() + i)) {
        if (!FreePorts.isFree(port)) {
          throw new EtcdStartException("etcd-" + i, "port " + port + " is already in use",
              "listen tcp " + EtcdMemberSpec.HOST + ":" + port + ": bind: "
                  + EtcdStartException.PORT_IN_USE_MARKER);
        }
      }
    }
  }

  private static List<EtcdMember> plan(Options options, Path binary, Path baseDir)
      throws IOException {
    int count = options.members();
    List<Integer> clientPorts = new ArrayList<>(count);
    List<Integer> peerPorts = new ArrayList<>(count);
    if (options.hasFixedPorts()) {
      for (int i = 0; i < count; i++) {
        clientPorts.add(options.clientPortBase() + i);
        peerPorts.add(options.peerPortBase() + i);
      }
    } else {
      // Pick all ports at once so that no two members get the same one.
      List<Integer> ports = FreePorts.pick(2 * count);
      clientPorts.addAll(ports.subList(0, count));
      peerPorts.addAll(ports.subList(count, 2 * count));
    }
    List<String> names = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      names.add("etcd-" + i);
    }
    String initialCluster =
        IntStream.range(0, count)
            .mapToObj(i -> EtcdMemberSpec.initialClusterEntry(names.get(i), peerPorts.get(i)))
            .collect(Collectors.joining(","));
    String token = "gitstratum-" + UUID.randomUUID();
    List<EtcdMember> members = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      members.add(
          new EtcdMember(
              new EtcdMemberSpec(
                  binary,
                  names.get(i),
                  clientPorts.get(i),
                  peerPorts.get(i),
                  baseDir.resolve(names.get(i)),
                  initialCluster,
                  token,
                  options.fastTimers(),
                  null,
                  options.healthTimeout(),
                  options.extraArgs())));
    }
    return members;
  }

  /** Launches every member, then polls them together: none is healthy before a quorum runs. */
  private static void launchAndAwaitHealthy(List<EtcdMember> members, Duration timeout)
      throws IOException {
    for (EtcdMember member : members) {
      member.launch();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<EtcdMember> pending = new LinkedHashSet<>(members);
    // Bounded by the deadline; a member that exits ends the wait at once via probeHealthy.
    while (true) {
      for (Iterator<EtcdMember> it = pending.iterator(); it.hasNext(); ) {
        if (it.next().probeHealthy()) {
          it.remove();
        }
      }
      if (pending.isEmpty()) {
        break;
      }
      long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (remainingMillis <= 0) {
        EtcdMember first = pending.iterator().next();
        String names = pending.stream().map(EtcdMember::name).collect(Collectors.joining(", "));
        throw new EtcdStartException(
            first.name(),
            "etcd members [" + names + "] not healthy within " + timeout.toMillis() + " ms",
            first.logTail());
      }
      EtcdMember.pause(Math.min(remainingMillis, POLL_MILLIS));
    }
    // A member that lost its port to another etcd dies while that one answers /health for it.
    for (EtcdMember member : members) {
      member.checkAlive();
    }
  }
}
