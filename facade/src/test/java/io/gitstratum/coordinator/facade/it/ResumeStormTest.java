package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica that has just started holds no events in memory; a thousand streams resuming from
 * different versions at once are served from a few shared reads of etcd's event log, each
 * getting exactly the events it missed.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResumeStormTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final int STREAMS = 1_000;
  private static final int CHANGES = 60;

  /** Checks each message follows the one before; remembers the last version. */
  private static final class Resumer implements StreamObserver<TopologyUpdate> {
    final AtomicLong last;
    final AtomicBoolean broken = new AtomicBoolean();

    Resumer(long since) {
      last = new AtomicLong(since);
    }

    @Override
    public void onNext(TopologyUpdate update) {
      if (update.hasKeepalive()) {
        return;
      }
      if (update.hasFullSync() || update.hasLagged()
          || update.getPreviousVersion() != last.get()) {
        broken.set(true); // a resume within the log's reach must be a plain replay
      }
      last.set(update.getVersion());
    }

    @Override
    public void onError(Throwable t) {
      broken.set(true);
    }

    @Override
    public void onCompleted() {}
  }

  @Test
  void aThousandResumingStreamsShareAFewEventLogReads(TestInfo test) throws Exception {
    String cluster = FacadeHarness.clusterFor(test);
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      FacadeServer first = harness.start(cluster);
      CoordinatorServiceBlockingStub writes = harness.stub(first);
      for (int i = 0; i < CHANGES; i++) {
        writes.registerNode(RegisterNodeRequest.newBuilder().setNode(TestNodes.node("n" + i))
            .build());
      }
      FacadeServer fresh = harness.start(cluster); // its buffer is empty
      long readsBefore = eventLogReads(fresh);
      List<ManagedChannel> channels = List.of(harness.channel(fresh), harness.channel(fresh));
      List<Resumer> resumers = new ArrayList<>();
      for (int i = 0; i < STREAMS; i++) {
        long since = 1 + i % (CHANGES - 1);
        Resumer resumer = new Resumer(since);
        resumers.add(resumer);
        CoordinatorServiceGrpc.newStub(channels.get(i % channels.size())).watchTopology(
            WatchTopologyRequest.newBuilder().setSinceVersion(since).build(), resumer);
      }
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
          resumers.stream().allMatch(r -> r.last.get() == CHANGES || r.broken.get()));
      long reads = eventLogReads(fresh) - readsBefore;
      System.out.printf("%d resuming streams: %d event-log reads%n", STREAMS, reads);
      assertEquals(0, resumers.stream().filter(r -> r.broken.get()).count(),
          "every stream got exactly the events after its version");
      assertTrue(reads <= 5, reads + " event-log reads for " + STREAMS + " streams");
    }
  }

  /** Paged reads of the replica so far (the event log is read that way), from its /metrics. */
  private static long eventLogReads(FacadeServer server) throws Exception {
    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines()
        .filter(l -> l.startsWith("gitstratum_coordinator_etcd_request_duration_seconds_count")
            && l.contains("operation=\"paged_read\""))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
