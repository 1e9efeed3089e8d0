package io.gitstratum.coordinator.bench.storm;

import io.gitstratum.coordinator.bench.measure.AsyncStorm;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.client.topology.TopologyListener;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A router's ring following a storm of state changes: the client library's TopologyWatcher on
 * the registration storm's topology (all JOINING) while up to 10,000 of its nodes turn ACTIVE at
 * once, one version each. Does the ring keep up without {@code lagged} (a full_sync after
 * falling behind), and how long after the last answer does it hold the last version?
 */
final class RingFollow {
  static final int CHANGES = 10_000;

  private RingFollow() {}

  static void measure(Replica replica, StormNodes fleet, int registered, int callers,
      Report report, String section) throws Exception {
    int changes = Math.min(CHANGES, registered);
    String p = "facade.storm.ring_follow";
    AtomicInteger resyncs = new AtomicInteger();
    TopologyListener counter = new TopologyListener() {
      @Override
      public void resynced(Topology previous, Topology current) {
        resyncs.incrementAndGet();
      }
    };
    try (CoordinatorClient client = CoordinatorClient.builder(
            "127.0.0.1:" + replica.process().grpcPort()).build();
        TopologyWatcher watcher = TopologyWatcher.builder(client).listener(counter).start()) {
      if (!watcher.awaitSynced(Duration.ofSeconds(120))) {
        throw new IllegalStateException("the ring follower did not load the topology in 120 s");
      }
      // Listeners hear the first full_sync on their own thread, maybe after awaitSynced returned:
      // counted before it, that sync would pass for a lagged one during the storm.
      long heard = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (resyncs.get() == 0 && System.nanoTime() < heard) {
        Thread.sleep(1);
      }
      int loaded = resyncs.get();
      long started = System.nanoTime();
      AsyncStorm.Outcome o = AsyncStorm.run(changes, callers, Duration.ofSeconds(300),
          i -> replica.calls(i).withDeadlineAfter(30, TimeUnit.SECONDS)
              .heartbeat(fleet.beat(i)));
      double answeredS = (System.nanoTime() - started) / 1e9;
      long last = CoordinatorServiceGrpc.newBlockingStub(replica.process().newChannel())
          .withMaxInboundMessageSize(256 << 20).withDeadlineAfter(30, TimeUnit.SECONDS)
          .getTopology(GetTopologyRequest.newBuilder().setLinearizable(true).build())
          .getVersion();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (watcher.version() < last && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      double followedS = (System.nanoTime() - started) / 1e9;
      report.figure(section, p + ".ring_members", watcher.topology().size(), "1",
          "object nodes on the follower's ring (every state is a member)");
      report.figure(section, p + ".changes", o.ok(), "1",
          "JOINING->ACTIVE heartbeats answered OK, one version each");
      report.figure(section, p + ".answered_s", answeredS, "s", "first call to last answer");
      report.figure(section, p + ".followed_s", followedS, "s",
          "first call until the follower's ring held the last version");
      report.figure(section, p + ".behind_after_last_answer_s", followedS - answeredS, "s",
          "how far the ring trailed the storm's last answer");
      report.figure(section, p + ".lagged", resyncs.get() - loaded, "1",
          "full_syncs the follower needed during the storm (lagged; target 0)");
      report.figure(section, p + ".serving", watcher.ring().servingCount(), "1",
          "members that serve (ACTIVE or DRAINING) once followed");
      StormWorkload.outcome(report, p, o);
    }
  }
}
