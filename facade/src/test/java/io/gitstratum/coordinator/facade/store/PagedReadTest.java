package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.gitstratum.coordinator.facade.metrics.FacadeMetrics;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reads that grow with the cluster come in pages at one revision: pages of a few keys here, so
 * that a read spans many round trips while writes go on.
 */
@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PagedReadTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static final long TINY_PAGE = 2_000; // about five node records

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static NodeInfo node(String id) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setGenerationId("g").setState(NodeState.NODE_STATE_DOWN)
        .putLabels("zone", "z1").putLabels("rack", "r1").build();
  }

  private static void putNodes(Client client, Keyspace keys, String prefix, int from, int to)
      throws Exception {
    for (int batch = from; batch < to; batch += 100) {
      List<Op> puts = new ArrayList<>();
      for (int i = batch; i < Math.min(to, batch + 100); i++) {
        NodeInfo n = node(prefix + i);
        puts.add(Op.put(bytes(keys.node(n.getId())), ByteSequence.from(RecordCodec.encode(n)),
            PutOption.DEFAULT));
      }
      client.getKVClient().txn().Then(puts.toArray(Op[]::new)).commit().get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aWriteBetweenTwoPagesIsNeitherLostNorSeenTwice() throws Exception {
    Keyspace keys = Keyspace.of(Keyspace.DEFAULT_ROOT, "paged-read");
    try (Client client = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
      putNodes(client, keys, "a", 0, 400);
      EtcdTopologyStore store = new EtcdTopologyStore(client, keys, Duration.ofSeconds(2),
          TINY_PAGE, new FacadeMetrics());
      AtomicBoolean reading = new AtomicBoolean(true);
      // Nodes keep arriving (and some old ones change) while the pages are read.
      CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
        int i = 0;
        while (reading.get() && i < 2_000) {
          try {
            putNodes(client, keys, "b", i, i + 5);
            putNodes(client, keys, "a", i % 400, i % 400 + 1);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          i += 5;
        }
      });
      StoreSnapshot snapshot = store.read();
      reading.set(false);
      writes.get(30, TimeUnit.SECONDS);

      List<KeyValue> atRevision = client.getKVClient().get(bytes(keys.nodesPrefix()),
          GetOption.builder().isPrefix(true).withRevision(snapshot.revision()).build())
          .get(5, TimeUnit.SECONDS).getKvs();
      Set<String> expected = atRevision.stream()
          .map(kv -> kv.getKey().toString(StandardCharsets.UTF_8)
              .substring(keys.nodesPrefix().length()))
          .collect(Collectors.toCollection(TreeSet::new));
      List<String> read = snapshot.topology().nodes().stream().map(NodeInfo::getId).toList();
      assertEquals(expected.size(), read.size(), "no node twice");
      assertEquals(expected, new TreeSet<>(read), "exactly the nodes etcd held at the revision");
      long now = client.getKVClient().get(bytes(keys.nodesPrefix()),
          GetOption.builder().isPrefix(true).withCountOnly(true).build())
          .get(5, TimeUnit.SECONDS).getCount();
      assertTrue(now > read.size(), "nodes were added while the pages were read: " + read.size()
          + " at the read's revision, " + now + " after");
    }
  }

  @Test
  void anEventReplayLargerThanAPageComesWholeAndInOrder() throws Exception {
    Keyspace keys = Keyspace.of(Keyspace.DEFAULT_ROOT, "paged-events");
    try (Client client = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
      for (long version = 1; version <= 300; version++) {
        TopologyUpdate update = TopologyUpdate.newBuilder().setVersion(version)
            .setPreviousVersion(version - 1).setNodeAdded(node("n" + version)).build();
        client.getKVClient().put(bytes(keys.event(version)),
            ByteSequence.from(RecordCodec.encode(update))).get(5, TimeUnit.SECONDS);
      }
      EtcdTopologyStore store = new EtcdTopologyStore(client, keys, Duration.ofSeconds(2),
          TINY_PAGE, new FacadeMetrics());
      Optional<List<TopologyUpdate>> replay = store.readEvents(20, 290, 1_000);
      assertEquals(List.of(21L, 290L), List.of(replay.orElseThrow().get(0).getVersion(),
          replay.get().get(replay.get().size() - 1).getVersion()));
      assertEquals(270, replay.get().size());
      assertEquals(Optional.empty(), store.readEvents(0, 301, 1_000), "version 301 is missing");
    }
  }
}
